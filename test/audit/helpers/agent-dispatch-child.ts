// A controller that dispatches a real module to a real agent, recording it
// as dispatch does (write-ahead, then the load), holds the session's lease
// by following its output, says READY after the first line, and waits to be
// killed. Args: AUDIT_DB AGENT_ADDRESS PKI_DIR MODULE_DIR LEASE_SECONDS.
import { AgentClient } from '../../../controller/dispatch/agent-client.js';
import { followSession } from '../../../controller/dispatch/follow.js';
import { parseHostUri } from '../../../controller/dispatch/host-uri.js';
import { readModuleDir, signedUpload } from '../../../controller/dispatch/module-dir.js';
import { identityFromCertificate, openAuditLog } from '../../../controller/audit/index.js';
import { loadClientTls, loadSigningKey } from '../../../controller/pki/credentials.js';
import { sha256Hex } from '../../../controller/audit/event.js';

const [spec, address, pkiDir, moduleDir, lease] = process.argv.slice(2) as [string, string, string, string, string];
const mod = readModuleDir(moduleDir);
const options = { leaseSeconds: Number(lease), timeLimitSeconds: 0, args: [] as string[], detach: false, targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };
const audit = await openAuditLog(spec);
const run = await audit.beginDispatch({
	who: identityFromCertificate('controller'),
	hosts: [address],
	moduleHash: sha256Hex(mod.manifestBytes.toString('utf8')),
	scriptText: mod.manifest.script.text,
	options,
});
const client = new AgentClient(parseHostUri(address), loadClientTls(pkiDir));
const { sessionId } = await client.load(signedUpload(mod, loadSigningKey(pkiDir)), { ...options, runId: run.runId });
await run.hostLoaded(address, { sessionId });
let ready = false;
followSession(
	client,
	sessionId,
	{
		record: () => {
			if (!ready) process.stdout.write(`READY ${run.runId} ${sessionId}\n`);
			ready = true;
			return true;
		},
		note: () => {},
		onDrain: () => {},
	},
	{ holdLease: true, fromSeq: 0n, reconnectWindowMs: 5000 },
);
setInterval(() => {}, 1 << 30);
