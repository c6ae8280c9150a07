// What the audit adds to a cached 10-host run (benchmark, not a test; the
// figure goes to docs/audit.md). Ten agents, each its own process, mTLS on
// loopback; a prebuilt module. The same dispatch (controller/dispatch/fanout.ts)
// runs in this process without and with the audit (controller/dispatch/run-audit.ts:
// open the log, compile record, write-ahead dispatch, per-host load and end,
// finish, import of each host's sessions, close), alternating so that both see
// the same machine load.
// The log starts with PREFILL rows of earlier runs (default 100,000: a few
// months of a busy controller; 0 for a fresh log), never queried, so a SQLite
// log has no planner statistics, as a log nobody has run `tapfleet audit` on.
// Usage: node dist/bench/audit-run-overhead.js [HOSTS=10] [REPEATS=15] [BACKENDS=sqlite,sqlite-held,postgres,postgres-direct,postgres-held] [PREFILL=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Dispatch } from '../controller/dispatch/fanout.js';
import { parseHostUri } from '../controller/dispatch/host-uri.js';
import { readModuleDir } from '../controller/dispatch/module-dir.js';
import { openRunAudit, type ModuleSource, type RunAudit } from '../controller/dispatch/run-audit.js';
import { holdAuditLogs, openRunAuditLog } from '../controller/audit/run-log.js';
import { newRunId } from '../controller/audit/index.js';
import { issueAgent } from '../controller/pki/keys.js';
import { agentPkiDir } from '../controller/pki/layout.js';
import { firstLineSink } from './first-line-sink.js';
import { buildModule, spawnAgent, tempDir, testPki, type SpawnedAgent } from '../test/agent/helpers.js';
import { reachablePostgresUrl } from '../test/audit/helpers/backends.js';
import { pg } from '../controller/audit/pg-load.js';
import { parseAuditDb } from '../controller/audit/location.js';
import { PostgresBackend } from '../controller/audit/postgres-backend.js';
import { SqliteBackend } from '../controller/audit/sqlite-backend.js';
import { fill } from './audit-fill.js';

const hostCount = Number(process.argv[2] ?? 10);
const repeats = Number(process.argv[3] ?? 15);
// postgres: through its audit keeper, as `tapfleet run` reaches it (the first audited run starts it);
// postgres-direct: each run connecting itself (TAPFLEET_AUDIT_KEEP=0);
// postgres-held, sqlite-held: the log held open by this process across runs, as a warm runner does (docs/warm.md).
const backends = (process.argv[4] ?? 'sqlite,sqlite-held,postgres,postgres-direct,postgres-held').split(',');
const prefillRows = Number(process.argv[5] ?? 100_000);
let pgUrl = '';
if (backends.some((b) => b.startsWith('postgres'))) {
	try {
		pgUrl = await reachablePostgresUrl();
	} catch (err) {
		process.stderr.write(`audit-run-overhead: ${(err as Error).message}\n`);
		process.exit(1);
	}
}

/** The benchmark's PostgreSQL schema, once measured (a log of a few hundred rows nobody needs). */
async function dropSchema(schema: string): Promise<void> {
	const client = new pg.Client(pgUrl);
	await client.connect();
	try {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end();
	}
}

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

/** The earlier runs' rows, written straight to the log (PostgreSQL: analysed, as autovacuum would after them). */
async function prefill(spec: string): Promise<void> {
	if (!prefillRows) return;
	const target = parseAuditDb(spec);
	const backend = target.kind === 'sqlite' ? new SqliteBackend(target.path) : new PostgresBackend(target);
	try {
		await backend.migrate();
		await fill(backend, prefillRows);
	} finally {
		await backend.close();
	}
	if (target.kind !== 'postgres') return;
	const client = new pg.Client(pgUrl);
	await client.connect();
	try {
		await client.query(`ANALYZE "${target.schema}".audit_log`);
	} finally {
		await client.end();
	}
}

/** One run of the module on every host; with `auditDb`, recorded as `tapfleet run` records it. */
interface RunTimes {
	firstMs: number;
	totalMs: number;
	/** openRunAudit. */
	openMs: number;
	/** From the start until the log is open (it opens while the dispatch connects). */
	openedMs: number;
	/** The longest a host's Load waited for the write-ahead record once its module was ready. */
	writeAheadMs: number;
	/** audit.finish() after the dispatch is done. */
	finishMs: number;
	/** This process's CPU time (user + system) for the run: the dispatch and the audit, not the agents. */
	cpuMs: number;
}

async function oneRun(auditDb?: string): Promise<RunTimes> {
	const t0 = performance.now();
	const cpu0 = process.cpuUsage();
	let firstMs = NaN;
	let writeAheadMs = 0;
	// As `tapfleet run` does (cli/commands/run.ts): the log starts opening first (PostgreSQL; SQLite once
	// the hosts' first calls are out), then the module is found.
	let waitingBegins!: () => void;
	const auditLog = auditDb ? openRunAuditLog(auditDb, new Promise<void>((resolve) => (waitingBegins = resolve))) : undefined;
	const mod = readModuleDir(hello);
	let audit: RunAudit | undefined;
	if (auditLog) {
		// No --module: a script-cache hit, so the compile is recorded too.
		audit = await openRunAudit({ auditDb, runtime: 'auto' }, { args: [], leaseSeconds: 30, timeLimitSeconds: 0, hosts, tls: pki.tls, script: 'hello.stp' }, auditLog);
	}
	const openMs = performance.now() - t0;
	let openedMs = 0;
	void audit?.opened.then(() => (openedMs = performance.now() - t0));
	const moduleFor = async () => mod;
	const timed = (source: ModuleSource): ModuleSource => async (...a) => {
		const t = performance.now();
		const m = await source(...a);
		writeAheadMs = Math.max(writeAheadMs, performance.now() - t);
		return m;
	};
	const dispatch = new Dispatch({
		hosts,
		tls: pki.tls,
		signingKey: pki.signingKey,
		moduleFor: audit ? timed(audit.moduleSource(moduleFor)) : moduleFor,
		audit,
		session: { leaseSeconds: 30, timeLimitSeconds: 0, args: [], detach: false, runId: audit?.runId ?? newRunId(), targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 }, // every controller records: no unrecorded loads to import
		sink: firstLineSink(() => (firstMs = performance.now() - t0)),
	});
	if (auditLog) setImmediate(waitingBegins);
	const outcomes = await dispatch.done;
	const tf = performance.now();
	await audit?.finish();
	const finishMs = performance.now() - tf;
	if (outcomes.some((o) => o.error)) throw new Error(`run failed: ${outcomes.map((o) => o.error).filter(Boolean).join('; ')}`);
	const cpu = process.cpuUsage(cpu0);
	return { firstMs, totalMs: performance.now() - t0, openMs, openedMs, writeAheadMs, finishMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// The runs' state directory (the keeper's socket): removing it at the end stops the keeper.
const state = mkdtempSync(join(tmpdir(), 'tapfleet-audit-overhead-state-'));
process.env.XDG_STATE_HOME = state;

const loadBefore = loadavg();
const headline: string[] = [];
const rows: string[] = [];
const parts: string[] = [];
const pct = (x: number, of: number) => `${((x / of) * 100).toFixed(1)} %`;
for (const backend of backends) {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-overhead-'));
	const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
	const db = backend.startsWith('sqlite') ? join(dir, 'audit.db') : `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
	await prefill(db);
	if (backend === 'postgres-direct') process.env.TAPFLEET_AUDIT_KEEP = '0';
	else delete process.env.TAPFLEET_AUDIT_KEEP;
	holdAuditLogs(backend.endsWith('-held'));
	await oneRun();
	await oneRun(db); // creates the log; warms both paths
	const plain: Awaited<ReturnType<typeof oneRun>>[] = [];
	const audited: Awaited<ReturnType<typeof oneRun>>[] = [];
	for (let r = 0; r < repeats; r++) {
		plain.push(await oneRun());
		audited.push(await oneRun(db));
	}
	rmSync(dir, { recursive: true, force: true });
	if (backend.startsWith('postgres')) await dropSchema(schema);
	const p = median(plain.map((r) => r.totalMs));
	const a = median(audited.map((r) => r.totalMs));
	const pf = median(plain.map((r) => r.firstMs));
	const af = median(audited.map((r) => r.firstMs));
	const part = (f: (r: RunTimes) => number) => median(audited.map(f)).toFixed(1);
	// Each audited run follows a plain one: their difference sees the same machine load.
	const paired = (f: (r: RunTimes) => number) => median(audited.map((r, i) => f(r) - f(plain[i]!)));
	const pd = paired((r) => r.totalMs);
	const pfd = paired((r) => r.firstMs);
	headline.push(`| ${backend} | ${p.toFixed(0)} ms | **${pd.toFixed(1)} ms = ${pct(pd, p)}** | ${(pd / hostCount).toFixed(2)} ms | ${(a - p).toFixed(1)} ms = ${pct(a - p, p)} |`);
	rows.push(`| ${backend} | ${pf.toFixed(0)} / ${af.toFixed(0)} ms (${pct(af - pf, pf)}; paired ${pfd.toFixed(1)} ms, ${pct(pfd, pf)}) | ${p.toFixed(0)} / ${a.toFixed(0)} ms |`);
	const pc = median(plain.map((r) => r.cpuMs));
	parts.push(
		`| ${backend} | ${part((r) => r.openMs)} ms | ${part((r) => r.openedMs)} ms | ${part((r) => r.writeAheadMs)} ms | ${part((r) => r.finishMs)} ms | ${pc.toFixed(0)} / ${part((r) => r.cpuMs)} ms |`,
	);
}
const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
process.stdout.write(`load average ${load(loadBefore)} before, ${load(loadavg())} after, on ${cpus().length} CPUs; ${hostCount} hosts, ${repeats} runs each way, alternating; each log begun with ${prefillRows} rows of earlier runs\n\n`);
process.stdout.write(
	`The goal's figure (issue 5: under 5 % of the time of a cached ${hostCount}-host run): a run's time is until it is done as \`tapfleet run\` exits ` +
		'(every host ended, the audit\'s last records committed); the overhead per run is the median, over the runs, of an audited run\'s time minus the plain run just before it ' +
		'(both saw the same machine load); per host is that divided by the hosts (the same share of the run).\n\n' +
		'| audit log | plain run (median) | audit overhead per run | per host | for reference: difference of the medians |\n| --- | --- | --- | --- | --- |\n' +
		headline.join('\n') +
		'\n',
);
process.stdout.write(
	'\nMedians, without / with the audit (the first line is not the goal\'s figure: one host\'s first output, which moves with the load by tens of ms):\n\n| audit log | first line | run done |\n| --- | --- | --- |\n' + rows.join('\n') + '\n',
);
process.stdout.write(
	'\nWhere the audited runs wait for the audit (medians):\n\n| audit log | openRunAudit | log open after | a Load waiting for the log to open and the write-ahead record | finish after the dispatch | controller CPU per run: without / with |\n| --- | --- | --- | --- | --- | --- |\n' +
		parts.join('\n') +
		'\n',
);
rmSync(state, { recursive: true, force: true });
for (const a of agents) a.child.kill('SIGTERM');
