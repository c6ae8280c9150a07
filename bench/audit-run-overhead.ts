// What the audit adds to a cached 10-host run (benchmark, not a test; the
// figure goes to docs/audit.md). Ten agents, each its own process, mTLS on
// loopback; a prebuilt module. The same dispatch (controller/dispatch/fanout.ts)
// runs in this process without and with the audit (controller/dispatch/run-audit.ts:
// open the log, compile record, write-ahead dispatch, per-host load and end,
// finish, import of each host's sessions, close), alternating so that both see
// the same machine load.
// Usage: node dist/bench/audit-run-overhead.js [HOSTS=10] [REPEATS=15] [BACKENDS=sqlite,postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Dispatch } from '../controller/dispatch/fanout.js';
import { parseHostUri } from '../controller/dispatch/host-uri.js';
import { readModuleDir } from '../controller/dispatch/module-dir.js';
import { openRunAudit, type RunAudit } from '../controller/dispatch/run-audit.js';
import { newRunId } from '../controller/audit/index.js';
import { issueAgent } from '../controller/pki/keys.js';
import { agentPkiDir } from '../controller/pki/layout.js';
import { buildModule, spawnAgent, tempDir, testPki, type SpawnedAgent } from '../test/agent/helpers.js';
import { postgresUrl } from '../test/audit/helpers/backends.js';

const hostCount = Number(process.argv[2] ?? 10);
const repeats = Number(process.argv[3] ?? 15);
const backends = (process.argv[4] ?? 'sqlite,postgres').split(',');

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)]!;
}

const pki = await testPki(0);
const hello = await buildModule('hello', tempDir('bench-mod'));
const agents: SpawnedAgent[] = [];
process.on('exit', () => agents.forEach((a) => a.child.kill('SIGKILL')));
for (let i = 0; i < hostCount; i++) await issueAgent(pki.dir, `b${i}`);
agents.push(
	...(await Promise.all(
		Array.from({ length: hostCount }, (_, i) => spawnAgent(['--listen', '127.0.0.1:0', '--pki', agentPkiDir(pki.dir, `b${i}`), '--state-dir', tempDir('bench-state')], [], 120_000)),
	)),
);
const hosts = agents.map((a) => parseHostUri(a.address));

/** One run of the module on every host; with `auditDb`, recorded as `tapfleet run` records it. */
async function oneRun(auditDb?: string): Promise<{ firstMs: number; totalMs: number }> {
	const t0 = performance.now();
	let firstMs = NaN;
	const mod = readModuleDir(hello);
	let audit: RunAudit | undefined;
	if (auditDb) {
		// No --module: a script-cache hit, so the compile is recorded too.
		audit = await openRunAudit({ auditDb, runtime: 'auto' }, { args: [], leaseSeconds: 30, timeLimitSeconds: 0, hosts, tls: pki.tls, script: 'hello.stp' });
	}
	const moduleFor = async () => mod;
	const dispatch = new Dispatch({
		hosts,
		tls: pki.tls,
		signingKey: pki.signingKey,
		moduleFor: audit ? audit.moduleSource(moduleFor) : moduleFor,
		audit,
		session: { leaseSeconds: 30, timeLimitSeconds: 0, args: [], detach: false, runId: audit?.runId ?? newRunId() }, // every controller records: no unrecorded loads to import
		sink: {
			record: (_h, _s, r) => {
				if (r.text && Number.isNaN(firstMs)) firstMs = performance.now() - t0;
				return true;
			},
			note: (h, text) => process.stderr.write(`${h}: ${text}\n`),
			onDrain: () => {},
		},
	});
	const outcomes = await dispatch.done;
	await audit?.finish();
	if (outcomes.some((o) => o.error)) throw new Error(`run failed: ${outcomes.map((o) => o.error).filter(Boolean).join('; ')}`);
	return { firstMs, totalMs: performance.now() - t0 };
}

const rows: string[] = [];
for (const backend of backends) {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-overhead-'));
	const db = backend === 'sqlite' ? join(dir, 'audit.db') : `${postgresUrl()}${postgresUrl().includes('?') ? '&' : '?'}schema=bench_${process.pid}_${Date.now().toString(36)}`;
	await oneRun();
	await oneRun(db); // creates the log; warms both paths
	const plain: Awaited<ReturnType<typeof oneRun>>[] = [];
	const audited: Awaited<ReturnType<typeof oneRun>>[] = [];
	for (let r = 0; r < repeats; r++) {
		plain.push(await oneRun());
		audited.push(await oneRun(db));
	}
	rmSync(dir, { recursive: true, force: true });
	const p = median(plain.map((r) => r.totalMs));
	const a = median(audited.map((r) => r.totalMs));
	const pf = median(plain.map((r) => r.firstMs));
	const af = median(audited.map((r) => r.firstMs));
	rows.push(
		`| ${backend} | ${pf.toFixed(0)} / ${af.toFixed(0)} ms (${(((af - pf) / pf) * 100).toFixed(1)} %) | ${p.toFixed(0)} / ${a.toFixed(0)} ms | ${(a - p).toFixed(1)} ms | ${(((a - p) / p) * 100).toFixed(1)} % | ${((a - p) / hostCount).toFixed(1)} ms |`,
	);
}
process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs; ${hostCount} hosts, ${repeats} runs each way (medians)\n\n`);
process.stdout.write(
	'| audit log | first line: without / with | run done: without / with | audit overhead per run | overhead | per host |\n| --- | --- | --- | --- | --- | --- |\n' + rows.join('\n') + '\n',
);
for (const a of agents) a.child.kill('SIGTERM');
