// Audit benchmarks (not tests; figures go to docs/audit.md):
//  - fill a log with ROWS rows shaped like real runs (10 hosts of a 1000-host
//    fleet per run, over 30 days), then time the queries an operator runs;
//  - time what the audit adds to a run: one append, and every record of a
//    10-host run (dispatch, loads, ends, finish).
// Usage: node dist/bench/audit-bench.js [sqlite|postgres|both] [ROWS]
//        node dist/bench/audit-bench.js --audit-db=KEPT_LOG ROWS   (queries again on a kept log)
//        node dist/bench/audit-bench.js cpu-per-run AUDIT_DB [RUNS] (the controller's CPU per run spent on the audit)
// PostgreSQL comes from scripts/services/postgres.sh (or $TAPFLEET_TEST_PG_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { reachablePostgresUrl } from '../test/audit/helpers/backends.js';
import type { AuditBackend } from '../controller/audit/backend.js';
import { openAuditLog, type AuditLog } from '../controller/audit/index.js';
import { parseAuditDb } from '../controller/audit/location.js';
import { PostgresBackend } from '../controller/audit/postgres-backend.js';
import { SqliteBackend } from '../controller/audit/sqlite-backend.js';
import { END, fill, HOSTS_PER_RUN, ROWS_PER_RUN } from './audit-fill.js';


function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)]!;
}

async function timeIt(times: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; maxMs: number }> {
	const xs: number[] = [];
	for (let i = 0; i < times; i++) {
		const t0 = process.hrtime.bigint();
		await fn();
		xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	return { medianMs: +median(xs).toFixed(3), maxMs: +Math.max(...xs).toFixed(3) };
}

async function postgresSpec(): Promise<{ spec: string; drop: () => Promise<void> }> {
	let url: string;
	try {
		url = await reachablePostgresUrl();
	} catch (err) {
		process.stderr.write(`audit-bench: ${(err as Error).message}\n`);
		process.exit(1);
	}
	const schema = `bench_${process.pid}`;
	return {
		spec: `${url}?schema=${schema}`,
		drop: async () => {
			const c = new pg.Client(url);
			await c.connect();
			await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
			await c.end();
		},
	};
}

async function queries(log: AuditLog, runs: number) {
	const day = END - 10 * 86_400_000;
	return {
		'host + 1-day range': await timeIt(30, () => log.list({ host: 'host-0042', sinceMs: day, untilMs: day + 86_400_000 })),
		'host + 7-day range': await timeIt(30, () => log.list({ host: 'host-0042', sinceMs: day, untilMs: day + 7 * 86_400_000 })),
		'host, all time (newest 100)': await timeIt(30, () => log.list({ host: 'host-0042' })),
		'user + 1-day range': await timeIt(30, () => log.list({ user: 'u7', sinceMs: day, untilMs: day + 86_400_000 })),
		'script hash (newest 100)': await timeIt(30, () => log.list({ scriptHash: (5).toString(16).padStart(64, '0') })),
		'show one run': await timeIt(30, () => log.show(Math.floor(runs / 2).toString(16).padStart(12, '0'))),
		// What every run does after its write-ahead record: look for runs of dead controllers (7 days back).
		'open runs of dead controllers (recovery)': await timeIt(30, () => log.recoverInterruptedRuns()),
	};
}

async function writeCosts(log: AuditLog) {
	const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, k) => `bench-${k}`);
	const one = await timeIt(200, () => log.recordRefusal({ who: 'user:b@ctl', reason: 'other', message: 'bench', host: 'bench-0' }));
	const tenHostRun = await timeIt(30, async () => {
		const run = await log.beginDispatch({ who: 'user:b@ctl', hosts, moduleHash: 'm', scriptText: 'probe end {}', options: {} });
		await Promise.all(hosts.map((h, k) => run.hostLoaded(h, { sessionId: `s${k}` })));
		await Promise.all(hosts.map((h) => run.hostEnded(h, { endedBy: 'exit', outputBytes: 1, outputLines: 1, dropped: 0 })));
		await run.finish();
	});
	// What a run must wait for before its first load: the write-ahead record.
	const writeAhead = await timeIt(30, () =>
		log.beginDispatch({ who: 'user:b@ctl', hosts, moduleHash: 'm', scriptText: 'probe end {}', options: {} }),
	);
	return { 'one append': one, 'write-ahead: dispatch + 10 pending hosts': writeAhead, '10-host run, every record': tenHostRun };
}

async function benchOne(kind: 'sqlite' | 'postgres', rows: number) {
	let spec: string;
	let cleanup: () => Promise<void>;
	if (kind === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-bench-'));
		spec = join(dir, 'audit.db');
		cleanup = async () => rmSync(dir, { recursive: true, force: true });
	} else {
		const p = await postgresSpec();
		spec = p.spec;
		cleanup = p.drop;
	}
	try {
		const target = parseAuditDb(spec);
		const backend = target.kind === 'sqlite' ? new SqliteBackend(target.path) : new PostgresBackend(target);
		await backend.migrate();
		const fillSeconds = await fill(backend, rows);
		if (target.kind === 'postgres') {
			// Fresh statistics, as autovacuum would gather them after a bulk load.
			const c = new pg.Client(target.url);
			await c.connect();
			await c.query(`ANALYZE bench_${process.pid}.audit_log`);
			await c.end();
		}
		await backend.close();
		const log = await openAuditLog(spec, { recover: false });
		const head = await timeIt(1, () => log.verify());
		const result = {
			backend: kind,
			rows: (await log.verify()).rowsChecked,
			fillSeconds,
			verifySeconds: +(head.medianMs / 1000).toFixed(2),
			queries: await queries(log, Math.ceil(rows / ROWS_PER_RUN)),
			writes: await writeCosts(log),
		};
		await log.close();
		return result;
	} finally {
		// AUDIT_BENCH_KEEP=1 keeps the filled log for a closer look (EXPLAIN ...).
		if (process.env.AUDIT_BENCH_KEEP) console.error(`kept: --audit-db ${spec}`);
		else await cleanup();
	}
}

/** Times the queries again on a log kept by AUDIT_BENCH_KEEP=1 (ROWS = the rows it was filled with). */
async function rerun(spec: string, rows: number) {
	const log = await openAuditLog(spec, { recover: false });
	try {
		return { queries: await queries(log, Math.ceil(rows / ROWS_PER_RUN)) };
	} finally {
		await log.close();
	}
}

/**
 * The controller's CPU per run spent on the audit, without agents: per run
 * what controller/dispatch/run-audit.ts does with the log, in its order (open
 * as a run opens it, compile and write-ahead dispatch records in one turn, the
 * run's reads after a timer, the journal-import check and recovery, ten loads
 * and ten ends a turn apart, finish, close), CPU from process.cpuUsage.
 * On a fresh log, or a kept one (hosts named as the fill names them).
 */
async function cpuPerRun(spec: string, runs: number) {
	const { openRunAuditLog } = await import('../controller/audit/run-log.js');
	const { newRunId } = await import('../controller/audit/index.js');
	const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, i) => `bench-${i * 97}`);
	const script = 'probe begin { println("hello world") exit() }\n';
	const turn = () => new Promise((r) => setTimeout(r, 0));
	const oneRun = async () => {
		const log = await openRunAuditLog(spec);
		const who = 'cert:bench';
		const writes: Promise<unknown>[] = [
			log.recordCompile({ who, scriptText: script, moduleHash: 'a'.repeat(64), targetBuildId: 'b'.repeat(40), targetRelease: '6.1.0', runtime: 'bpf', toolVersions: { stap: '4.8' } }),
		];
		const run = await log.beginDispatch({ runId: newRunId(), who, hosts, moduleHash: 'a'.repeat(64), scriptText: script, options: { args: [], leaseSeconds: 30 } });
		const now = Date.now();
		const after = turn().then(() => log.afterWriteAhead(hosts, now));
		writes.push(after.then((a) => a.importsDue), after.then((a) => a.recovered));
		for (const h of hosts) {
			await turn();
			writes.push(run.hostLoaded(h, { sessionId: `s-${newRunId()}`, loadedAtMs: Date.now() }));
		}
		for (const h of hosts) {
			await turn();
			writes.push(run.hostEnded(h, { endedBy: 'exit', dropped: 0, outputBytes: 12, outputLines: 1, unloadedAtMs: Date.now(), firstOutputAtMs: Date.now() }));
		}
		writes.push(run.finish());
		void log.endBatching();
		await Promise.all(writes);
		await log.close();
	};
	for (let i = 0; i < 5; i++) await oneRun(); // warm-up (and a kept log's migration)
	const cpu: number[] = [];
	for (let i = 0; i < runs; i++) {
		const before = process.cpuUsage();
		await oneRun();
		const used = process.cpuUsage(before);
		cpu.push((used.user + used.system) / 1000);
	}
	return { runs, cpuPerRunMs: { median: median(cpu), min: Math.min(...cpu) } };
}

const which = process.argv[2] ?? 'both';
const rows = Number(process.argv[3] ?? 1_000_000);
if (which === 'cpu-per-run') {
	// node dist/bench/audit-bench.js cpu-per-run AUDIT_DB [RUNS]
	console.log(JSON.stringify(await cpuPerRun(process.argv[3]!, Number(process.argv[4] ?? 60)), null, 2));
} else if (which.startsWith('--audit-db=')) {
	console.log(JSON.stringify(await rerun(which.slice('--audit-db='.length), rows), null, 2));
} else {
	for (const kind of which === 'both' ? (['sqlite', 'postgres'] as const) : [which as 'sqlite' | 'postgres']) {
		console.log(JSON.stringify(await benchOne(kind, rows), null, 2));
	}
}
