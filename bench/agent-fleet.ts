// Agent benchmarks (not tests; figures go to docs/agent.md):
//  - time from `tapfleet run` to the first output line of any host, to the
//    moment every host has printed its first line ("all live": the goal's
//    figure), and until the whole run is done, with a cached (prebuilt)
//    module, on 1, 10 and 50 agents (each its own process, mTLS on loopback);
//  - agent idle memory (RSS of each agent process after the runs, idle).
// Usage: [TAPFLEET_BASELINE=OTHER/bin/tapfleet] [FLEET_KERNEL_PROBE=1] node dist/bench/agent-fleet.js [COUNTS=1,10,50] [REPEATS=5]
// TAPFLEET_BASELINE=OTHER/bin/tapfleet adds another build (before/after a
// change): a second fleet of that build's agents (with its taprun), that
// build's `tapfleet run` against them, and this build's in-process dispatch
// against them, each run interleaved with this build's.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Dispatch } from '../controller/dispatch/fanout.js';
import { parseHostUri } from '../controller/dispatch/host-uri.js';
import { readModuleDir } from '../controller/dispatch/module-dir.js';
import { performance } from 'node:perf_hooks';
import { issueAgent } from '../controller/pki/keys.js';
import { agentPkiDir } from '../controller/pki/layout.js';
import type { OutputSink } from '../controller/dispatch/output-sink.js';
import { timedCliRun, type TimedCliRun } from './cli-run-timer.js';
import { buildModule, spawnAgent, TAPFLEET, TAPRUN, tempDir, testPki, type SpawnedAgent } from '../test/agent/helpers.js';

const counts = (process.argv[2] ?? '1,10,50').split(',').map(Number);
const repeats = Number(process.argv[3] ?? 5);

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)]!;
}

function rssMiB(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
}

const baseline = process.env.TAPFLEET_BASELINE;

/**
 * FLEET_KERNEL_PROBE=1: the module also has a kernel-side probe (which
 * makes taprun allocate its 16 MiB ring buffer; `hello` has only a begin
 * probe), compiled by this build's passes 1-4; still one line per host.
 */
function compileKernelProbeHello(): string {
	// A tracepoint that does not fire during the bench: 50 sessions on one machine each running a
	// handler on a busy one (sched_switch) would measure their handlers, not the start-up.
	const script = 'global n probe begin { println("hello world") exit() } probe kernel.trace("syscalls:sys_enter_reboot") { n++ }';
	return execFileSync(process.execPath, [TAPFLEET, 'compile', '-p4', '-m', 'fleethello', '-e', script], { encoding: 'utf8' }).trim();
}

/** One `tapfleet run` (cli-run-timer.ts); each build keeps its own audit log (their schemas may differ). */
function timedRun(args: string[], cli = TAPFLEET, hosts = 1): Promise<TimedCliRun> {
	return timedCliRun(cli, args, cli === TAPFLEET ? process.env : { ...process.env, XDG_STATE_HOME: baselineState }, hosts);
}

const loadAtStart = loadavg();
const baselineState = tempDir('bench-baseline-state');
const pki = await testPki(0);
const max = Math.max(...counts);
const hello = process.env.FLEET_KERNEL_PROBE ? compileKernelProbeHello() : await buildModule('hello', tempDir('bench-mod'));
const fleets: SpawnedAgent[][] = [];
// Whatever happens, no agent outlives the benchmark.
process.on('exit', () => fleets.flat().forEach((a) => a.child.kill('SIGKILL')));

/** `max` agents of one build (its CLI and its taprun), each its own process, started ten at a time. */
async function startFleet(cli: string, taprunBuilt: string, name: string): Promise<SpawnedAgent[]> {
	// A private copy of taprun: a rebuild of the repository's must not disturb the figures.
	const taprun = join(tempDir('bench-bin'), 'taprun');
	copyFileSync(taprunBuilt, taprun);
	chmodSync(taprun, 0o755);
	const fleet: SpawnedAgent[] = [];
	fleets.push(fleet);
	for (let i = 0; i < max; i++) await issueAgent(pki.dir, `${name}${i}`);
	for (let i = 0; i < max; i += 10) {
		const batch = [];
		for (let j = i; j < Math.min(max, i + 10); j++) {
			batch.push(spawnAgent(['--listen', '127.0.0.1:0', '--pki', agentPkiDir(pki.dir, `${name}${j}`), '--state-dir', tempDir('bench-state'), '--taprun', taprun], [], 120_000, cli));
		}
		fleet.push(...(await Promise.all(batch)));
	}
	return fleet;
}
const agents = await startFleet(TAPFLEET, TAPRUN, 'b');
const baselineAgents = baseline ? await startFleet(baseline, join(dirname(baseline), '..', 'runtime-c', 'build', 'taprun'), 'old') : [];
// The CLI's own start-up (Node plus loading tapfleet), for reference: the floor under the CLI figures.
const cliStart: number[] = [];
const baselineStart: number[] = [];
for (let i = 0; i < 5; i++) {
	cliStart.push((await timedRun(['--version'])).totalMs);
	if (baseline) baselineStart.push((await timedRun(['--version'], baseline)).totalMs);
}

/** CPU seconds an agent process has used itself and its reaped children (taprun). */
function agentCpuSeconds(pid: number): { agent: number; taprun: number } {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime, stime, cutime, cstime are fields 14-17 (11-14 after the command name).
	return { agent: (Number(f[11]) + Number(f[12])) / 100, taprun: (Number(f[13]) + Number(f[14])) / 100 };
}

/** The agents' CPU seconds, summed. */
function fleetCpuSeconds(used: SpawnedAgent[]): { agent: number; taprun: number } {
	return used.map((a) => agentCpuSeconds(a.child.pid!)).reduce((x, y) => ({ agent: x.agent + y.agent, taprun: x.taprun + y.taprun }), { agent: 0, taprun: 0 });
}

/** A sink that keeps no output, only notes when the first host's first line and every host's first line arrive. */
function liveHostsSink(hosts: number, onFirst: () => void, onAll: () => void): OutputSink {
	const live = new Set<string>();
	return {
		record: (host, _s, r) => {
			if (r.text && !live.has(host)) {
				live.add(host);
				if (live.size === 1) onFirst();
				if (live.size === hosts) onAll();
			}
			return true;
		},
		note: (h, text) => process.stderr.write(`${h}: ${text}\n`),
		onDrain: () => {},
	};
}

/** The same dispatch inside this process: what `tapfleet run` costs after the CLI has started. */
async function inProcessRun(hosts: string[]): Promise<{ firstMs: number; allMs: number; totalMs: number; cpuMs: number }> {
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	let firstMs = NaN;
	let allMs = NaN;
	const mod = readModuleDir(hello);
	const dispatch = new Dispatch({
		hosts: hosts.map(parseHostUri),
		tls: pki.tls,
		signingKey: pki.signingKey,
		moduleFor: async () => mod,
		session: { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 },
		sink: liveHostsSink(
			hosts.length,
			() => (firstMs = performance.now() - t0),
			() => (allMs = performance.now() - t0),
		),
	});
	const outcomes = await dispatch.done;
	if (outcomes.some((o) => o.error)) throw new Error('in-process run failed');
	const cpu = process.cpuUsage(cpu0);
	return { firstMs, allMs, totalMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const rows: string[] = [];
const baselineRows: string[] = [];
const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
for (const n of counts) {
	const runArgs = (fleet: SpawnedAgent[]) => ['run', '--pki', pki.dir, '--module', hello, ...fleet.slice(0, n).flatMap((a) => ['--host', a.address])];
	const args = runArgs(agents);
	const baselineArgs = runArgs(baselineAgents);
	const runs = [];
	const baselineRuns = [];
	await timedRun(args, TAPFLEET, n); // warm the page cache
	if (baseline) await timedRun(baselineArgs, baseline, n);
	for (let r = 0; r < repeats; r++) {
		runs.push(await timedRun(args, TAPFLEET, n));
		if (baseline) baselineRuns.push(await timedRun(baselineArgs, baseline, n));
	}
	const bad = [...runs, ...baselineRuns].find((r) => r.status !== 0 || r.lines !== n);
	if (bad) throw new Error(`run on ${n} agents: status ${bad.status}, ${bad.lines} lines`);
	const inProc = [];
	const baselineInProc = [];
	const used = agents.slice(0, n);
	const baselineUsed = baselineAgents.slice(0, n);
	// Each fleet's CPU counts only its own runs, so the two can be interleaved.
	const cpu0 = fleetCpuSeconds(used);
	const baselineCpu0 = fleetCpuSeconds(baselineUsed);
	for (let r = 0; r < repeats; r++) {
		inProc.push(await inProcessRun(used.map((a) => a.address)));
		if (baseline) baselineInProc.push(await inProcessRun(baselineUsed.map((a) => a.address)));
	}
	const perHost = (c0: { agent: number; taprun: number }, c1: { agent: number; taprun: number }) => {
		const perHostMs = (s: number) => ((s * 1000) / repeats / n).toFixed(0);
		return `${perHostMs(c1.agent + c1.taprun - c0.agent - c0.taprun)} ms (${perHostMs(c1.taprun - c0.taprun)} ms)`;
	};
	rows.push(
		`| ${n} | ${ms(runs.map((r) => r.firstMs))} | ${ms(runs.map((r) => r.allMs))} | ${ms(runs.map((r) => r.totalMs))} | ${ms(inProc.map((r) => r.firstMs))} | ${ms(inProc.map((r) => r.allMs))} | ${ms(inProc.map((r) => r.totalMs))} | ${ms(inProc.map((r) => r.cpuMs))} | ${perHost(cpu0, fleetCpuSeconds(used))} |`,
	);
	if (baseline) {
		baselineRows.push(
			`| ${n} | ${ms(baselineRuns.map((r) => r.firstMs))} | ${ms(baselineRuns.map((r) => r.allMs))} | ${ms(baselineRuns.map((r) => r.totalMs))} | ${ms(baselineInProc.map((r) => r.firstMs))} | ${ms(baselineInProc.map((r) => r.allMs))} | ${ms(baselineInProc.map((r) => r.totalMs))} | ${perHost(baselineCpu0, fleetCpuSeconds(baselineUsed))} |`,
		);
	}
}
await new Promise((r) => setTimeout(r, 2000));
const rss = agents.map((a) => rssMiB(a.child.pid!));
const baselineRss = baselineAgents.map((a) => rssMiB(a.child.pid!));

const loads = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
process.stdout.write(`load average ${loads(loadAtStart)} at the start, ${loads(loadavg())} at the end, on ${cpus().length} CPUs; CLI start-up (tapfleet --version): median ${median(cliStart).toFixed(0)} ms\n\n`);
process.stdout.write(
	'| agents | `tapfleet run`: first line | `tapfleet run`: all live | `tapfleet run`: done | in-process dispatch: first line | in-process dispatch: all live | in-process dispatch: done | controller CPU per run | agent CPU per host and run, incl. taprun (of which taprun) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n' +
		rows.join('\n') +
		'\n\n',
);
if (baseline) {
	process.stdout.write(
		`baseline ${baseline}: its own agents and taprun, its \`tapfleet run\`, and this build's in-process dispatch to its agents, runs interleaved with the above; its CLI start-up: median ${median(baselineStart).toFixed(0)} ms\n\n` +
			'| agents | baseline `tapfleet run`: first line | baseline: all live | baseline: done | in-process dispatch to baseline agents: first line | all live | done | baseline agent CPU per host and run, incl. taprun (of which taprun) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n' +
			baselineRows.join('\n') +
			'\n\n',
	);
}
const rssLine = (xs: number[]) => `median ${median(xs).toFixed(1)} MiB, max ${Math.max(...xs).toFixed(1)} MiB (${xs.length} agents)`;
process.stdout.write(`agent idle RSS: ${rssLine(rss)}${baseline ? `; baseline agents: ${rssLine(baselineRss)}` : ''}\n`);
for (const a of fleets.flat()) a.child.kill('SIGTERM');
