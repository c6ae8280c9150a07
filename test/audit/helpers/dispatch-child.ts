// A controller that records a dispatch and a load, says READY, and then
// waits to be killed: the crash test's victim. Args: AUDIT_DB.
import { openAuditLog } from '../../../controller/audit/index.js';

const log = await openAuditLog(process.argv[2]);
const run = await log.beginDispatch({
	who: 'user:alice@ctl',
	hosts: ['web1', 'web2'],
	moduleHash: 'm1',
	scriptText: 'probe timer.s(1) { println("tick") }',
	options: { leaseSeconds: 2 },
});
await run.hostLoaded('web1', { sessionId: 's1' });
process.stdout.write(`READY ${run.runId}\n`);
setInterval(() => {}, 1 << 30);
