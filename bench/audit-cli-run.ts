// The audit as a user meets it: `tapfleet run --module M --host ...` (a
// cached module, ten agents over mTLS on loopback), a fresh process per
// run, without any audit (the CLI bundled with bench/no-audit/ in place of
// the run's audit), with a PostgreSQL log reached through its audit keeper
// (the default), the same log opened by each run itself
// (TAPFLEET_AUDIT_KEEP=0), and a SQLite log, alternating run by run so all
// see the same load. Both CLIs are bundled here by scripts/bundle-cli.mjs
// from the same dist/, and run as bin/tapfleet runs its bundle (without
// NODE_EXTRA_CA_CERTS). Not a test: figures go to docs/audit.md.
// Usage: node dist/bench/audit-cli-run.js [HOSTS=10] [RUNS=15]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueAgent } from '../controller/pki/keys.js';
import { agentPkiDir } from '../controller/pki/layout.js';
import { pg } from '../controller/audit/pg-load.js';
import { buildModule, spawnAgent, tempDir, testPki, type SpawnedAgent } from '../test/agent/helpers.js';
import { repoRoot } from '../controller/build/toolchain.js';
import { reachablePostgresUrl } from '../test/audit/helpers/backends.js';
import { timedCliRun, type TimedCliRun } from './cli-run-timer.js';

const hostCount = Number(process.argv[2] ?? 10);
const repeats = Number(process.argv[3] ?? 15);

let pgUrl: string;
try {
	pgUrl = await reachablePostgresUrl();
} catch (err) {
	process.stderr.write(`audit-cli-run: ${(err as Error).message}\n`);
	process.exit(1);
}
const schema = `bench_cli_${process.pid}_${Date.now().toString(36)}`;
const pgLog = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
// The runs' state directory (the SQLite log, the keeper's socket): removing it at the end stops the keeper.
const state = mkdtempSync(join(tmpdir(), 'tapfleet-audit-cli-'));

/** The CLI bundled into a directory of its own (`name`), with `replace` (dist/ module -> its stand-in, repository-relative). */
function bundleCli(name: string, replace: Record<string, string>): string {
	const outdir = join(state, `bundle-${name}`);
	execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle-cli.mjs')], {
		env: { ...process.env, TAPFLEET_BUNDLE_OUTDIR: outdir, TAPFLEET_BUNDLE_REPLACE: JSON.stringify(replace) },
		stdio: 'inherit',
	});
	return join(outdir, 'tapfleet.js');
}
const audited = bundleCli('audited', {});
const unaudited = bundleCli('unaudited', {
	'dist/controller/dispatch/run-audit.js': 'dist/bench/no-audit/run-audit.js',
	'dist/controller/audit/run-log.js': 'dist/bench/no-audit/run-log.js',
});
// KEEP_SQLITE=1: one more way, a SQLite log through a keeper too (not what tapfleet does).
const keepingSqlite = process.env.KEEP_SQLITE ? bundleCli('keeping-sqlite', { 'dist/controller/audit/keeper/kinds.js': 'dist/bench/keep-sqlite/kinds.js' }) : undefined;

const pki = await testPki(0);
const hello = await buildModule('hello', tempDir('bench-mod'));
const agents: SpawnedAgent[] = [];
process.on('exit', () => agents.forEach((a) => a.child.kill('SIGKILL')));
for (let i = 0; i < hostCount; i++) await issueAgent(pki.dir, `c${i}`);
agents.push(...(await Promise.all(Array.from({ length: hostCount }, (_, i) => spawnAgent(['--listen', '127.0.0.1:0', '--pki', agentPkiDir(pki.dir, `c${i}`), '--state-dir', tempDir('bench-state')])))));
const hostArgs = agents.flatMap((a) => ['--host', a.address]);

interface Way {
	name: string;
	cli: string;
	auditDb: string;
	keep?: string;
}
const ways: Way[] = [
	{ name: 'no audit', cli: unaudited, auditDb: join(state, 'unused.db') },
	{ name: 'PostgreSQL, through its keeper (default)', cli: audited, auditDb: pgLog },
	{ name: 'PostgreSQL, each run connecting (TAPFLEET_AUDIT_KEEP=0)', cli: audited, auditDb: pgLog, keep: '0' },
	{ name: 'SQLite', cli: audited, auditDb: join(state, 'audit.db') },
	...(keepingSqlite ? [{ name: 'SQLite through a keeper (KEEP_SQLITE=1)', cli: keepingSqlite, auditDb: join(state, 'kept.db') }] : []),
];

function run(way: Way): Promise<TimedCliRun> {
	const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: state };
	delete env.NODE_EXTRA_CA_CERTS; // as bin/tapfleet starts Node
	// AUDIT_CLI_PROFILE=DIR: a CPU profile of every run, in DIR/<way's number>/; AUDIT_CLI_NODE_ARGS: more options for Node
	const profile = process.env.AUDIT_CLI_PROFILE;
	const nodeArgs = [
		...(profile ? ['--cpu-prof', '--cpu-prof-interval=200', `--cpu-prof-dir=${join(profile, String(ways.indexOf(way)))}`] : []),
		...(process.env.AUDIT_CLI_NODE_ARGS ?? '').split(' ').filter(Boolean),
	];
	if (way.keep !== undefined) env.TAPFLEET_AUDIT_KEEP = way.keep;
	else delete env.TAPFLEET_AUDIT_KEEP;
	return timedCliRun(way.cli, ['run', '--pki', pki.dir, '--module', hello, '--audit-db', way.auditDb, ...hostArgs], env, hostCount, nodeArgs);
}

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)]!;
}

const loadBefore = loadavg();
// A first run of each way: the page cache, the schema, and the keeper started for the runs after it.
for (const w of ways) await run(w);
const times = new Map<Way, TimedCliRun[]>(ways.map((w) => [w, []]));
for (let i = 0; i < repeats; i++) {
	for (const w of ways) {
		const r = await run(w);
		if (r.status !== 0 || r.lines !== hostCount) throw new Error(`${w.name}: run ${i} exited ${r.status} with ${r.lines} lines`);
		times.get(w)!.push(r);
	}
}
const loadAfter = loadavg();

const floor = times.get(ways[0]!)!;
const floorMedian = median(floor.map((r) => r.totalMs));
const f = (ms: number) => `${ms.toFixed(1)} ms`;
const la = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
process.stdout.write(`load average ${la(loadBefore)} before, ${la(loadAfter)} after, on ${cpus().length} CPUs; ${hostCount} hosts, ${repeats} runs of each way, alternating\n\n`);
process.stdout.write(
	'The audit\'s overhead on a cached run as `tapfleet run` takes it (issue 5: under 5 % of the time of a cached 10-host run): the median, over the rounds, of an audited run\'s time to exit minus the unaudited run\'s of the same round, and that as a share of the unaudited median; per host = divided by the hosts.\n\n',
);
process.stdout.write('| audit log | all hosts live (median) | run done, exit (median) | audit overhead per run | per host |\n| --- | --- | --- | --- | --- |\n');
for (const w of ways) {
	const t = times.get(w)!;
	const done = median(t.map((r) => r.totalMs));
	const paired = median(t.map((r, i) => r.totalMs - floor[i]!.totalMs));
	const overhead = w === ways[0] ? '-' : `**${f(paired)} = ${((100 * paired) / floorMedian).toFixed(1)} %**`;
	const perHost = w === ways[0] ? '-' : f(paired / hostCount);
	process.stdout.write(`| ${w.name} | ${f(median(t.map((r) => r.allMs)))} | ${f(done)} | ${overhead} | ${perHost} |\n`);
}

rmSync(state, { recursive: true, force: true });
const client = new pg.Client(pgUrl);
await client.connect();
await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await client.end();
process.exit(0);
