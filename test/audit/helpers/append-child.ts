// A controller appending runs as fast as it can, from a given instant, so
// that two of them write to one log at once. Args: AUDIT_DB RUNS WHO START_AT_MS.
import { openAuditLog } from '../../../controller/audit/index.js';

const [spec, runs, who, startAt] = process.argv.slice(2) as [string, string, string, string];
const log = await openAuditLog(spec);
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
for (let i = 0; i < Number(runs); i++) {
	const run = await log.beginDispatch({ who, hosts: ['web1', 'web2'], moduleHash: 'm', scriptText: `# ${who} ${i}`, options: {} });
	await run.finish();
}
await log.close();
process.stdout.write('DONE\n');
