// tapfleet run against bpftrace on this host, side by side:
//  1. per-event overhead of a counting probe on a syscall tracepoint:
//     ns per getppid() in a tight loop, untraced, under `tapfleet run -c`
//     and under `bpftrace -c` (both start the loop after attaching); then
//     the same count kept by process name (a string-keyed array);
//  2. time from command to first output (a begin probe), tapfleet cold
//     (empty module and vmlinux caches, no warm runner), tapfleet cached
//     (through its warm runner, docs/warm.md, as a user's second run goes),
//     the same without a runner (TAPFLEET_WARM_KEEP=0), a script never run
//     before (its module compiled, with this kernel's profile and PCH cached,
//     through the runner), bpftrace.
// Usage: [TAPFLEET_BASELINE=OTHER/bin/tapfleet] node dist/bench/run-vs-bpftrace.js [CALLS=2000000] [REPEATS=3]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../controller/build/toolchain.js';
import { stopWarmRunners } from '../test/cli/warm-helpers.js';

const calls = Number(process.argv[2] ?? 2_000_000);
const repeats = Number(process.argv[3] ?? 3);
const tapfleet = join(repoRoot, 'bin/tapfleet');
const work = mkdtempSync(join(tmpdir(), 'tapfleet-bench-'));

const loopSrc = join(work, 'loop.c');
const loop = join(work, 'loop');
writeFileSync(loopSrc, `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv)
{
	long n = atol(argv[1]), i;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "NS_PER_CALL %.1f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
`);
execFileSync('cc', ['-O2', loopSrc, '-o', loop]);

function nsPerCall(cmd: string, args: string[], env = process.env): Promise<number> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
		let err = '';
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		child.on('close', () => {
			const m = /NS_PER_CALL ([\d.]+)/.exec(err);
			if (m) resolve(Number(m[1]));
			else reject(new Error(`${cmd} ${args.join(' ')}: no result\n${err}`));
		});
	});
}

function firstOutputMs(cmd: string, args: string[], env = process.env): Promise<number> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
		let at = 0;
		let err = '';
		let out = '';
		// the probe's own line, not a banner (bpftrace prints "Attaching 1 probe..." before loading)
		child.stdout.on('data', (d: Buffer) => {
			out += d.toString();
			if (!at && out.includes('first\n')) at = performance.now() - t0;
		});
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		child.on('close', (code) => (at ? resolve(at) : reject(new Error(`${cmd} ${args.join(' ')}: no output (status ${code})\n${err}`))));
	});
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function repeat(f: () => Promise<number>): Promise<number> {
	const xs: number[] = [];
	for (let i = 0; i < repeats; i++) xs.push(await f());
	return median(xs);
}

const tfScript = 'global n probe kernel.trace("syscalls:sys_enter_getppid") { n++ }';
const btScript = 'tracepoint:syscalls:sys_enter_getppid { @n = count(); }';
const base = await repeat(() => nsPerCall(loop, [String(calls)]));
// (its own state directory: the audit log and the warm runner of these runs, stopped at the end)
const perEventEnv: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: mkdtempSync(join(work, 'state-')) };
const tf = await repeat(() => nsPerCall(tapfleet, ['run', '-c', `${loop} ${calls}`, '-e', tfScript], perEventEnv));
const bt = await repeat(() => nsPerCall('bpftrace', ['-c', `${loop} ${calls}`, '-e', btScript]));
console.log(`per-event overhead (getppid, ${calls} calls, median of ${repeats}):`);
console.log(`  untraced          ${base.toFixed(1)} ns/call`);
console.log(`  tapfleet run      ${tf.toFixed(1)} ns/call  (+${(tf - base).toFixed(1)} ns/event)`);
console.log(`  bpftrace          ${bt.toFixed(1)} ns/call  (+${(bt - base).toFixed(1)} ns/event)`);
console.log(`  ratio tapfleet/bpftrace overhead: ${((tf - base) / (bt - base)).toFixed(2)}`);
// the same count by process name, stap's most common array (a string key)
const tfByName = await repeat(() => nsPerCall(tapfleet, ['run', '-c', `${loop} ${calls}`, '-e', 'global n probe kernel.trace("syscalls:sys_enter_getppid") { n[execname()]++ }'], perEventEnv));
const btByName = await repeat(() => nsPerCall('bpftrace', ['-c', `${loop} ${calls}`, '-e', 'tracepoint:syscalls:sys_enter_getppid { @n[comm] = count(); }']));
console.log(`  counting by name: tapfleet n[execname()]++ +${(tfByName - base).toFixed(1)} ns/event, bpftrace @n[comm] = count() +${(btByName - base).toFixed(1)} ns/event, ratio ${((tfByName - base) / (btByName - base)).toFixed(2)}`);

// TAPFLEET_BASELINE=/path/to/other/checkout/bin/tapfleet adds that build's
// figures to the same run (before/after a change, under the same load).
const builds: [string, string][] = [['tapfleet', tapfleet]];
if (process.env.TAPFLEET_BASELINE) builds.push(['baseline', process.env.TAPFLEET_BASELINE]);
const hello = 'probe begin { println("first") exit() }';
// a script no cache has seen (a new constant: a new module, not only a new script text), output as hello's
let scripts = 0;
const newScript = () => `probe begin { println("first") exit() } probe end { if (${Date.now()}${scripts++} == 0) println("never") }`;
// first event of a kernel-side probe: the loop's getppid() calls start at once
const tpScript = 'probe kernel.trace("syscalls:sys_enter_getppid") { println("first") exit() }';
console.log(`time to first output (median of ${repeats}, every measure's runs interleaved across the builds and bpftrace; machine load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}):`);
// each build its own audit log (another build's schema may be newer than it knows) and module cache
// (warm runners as a user has them: the default keep, whatever the caller's environment says)
const envs = builds.map(() => {
	const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: mkdtempSync(join(work, 'state-')), XDG_CACHE_HOME: mkdtempSync(join(work, 'cache-')) };
	delete env.TAPFLEET_WARM_KEEP;
	return env;
});
const noRunner = (env: NodeJS.ProcessEnv) => ({ ...env, TAPFLEET_WARM_KEEP: '0' });
const coldEnv = (i: number) => noRunner({ ...envs[i]!, XDG_CACHE_HOME: mkdtempSync(join(work, 'cache-')) });
const tpArgs = ['run', '-c', `${loop} 1000000`, '-e', tpScript];
for (const [i, [, bin]] of builds.entries()) {
	await firstOutputMs(bin, ['run', '-e', hello], envs[i]);
	await firstOutputMs(bin, tpArgs, envs[i]);
	// the first run started the build's warm runner (builds that have them): once it listens, a few runs to warm it
	const runners = join(envs[i]!.XDG_STATE_HOME!, 'tapfleet', 'runners');
	for (let waited = 0; waited < 20_000 && !(existsSync(runners) && readdirSync(runners).some((n) => n.endsWith('.sock'))); waited += 100) await new Promise((r) => setTimeout(r, 100));
	for (let k = 0; k < 3; k++) await firstOutputMs(bin, ['run', '-e', hello], envs[i]);
}
/** Median per label of `repeats` rounds, each round running every candidate once (so load swings hit all alike). */
async function interleaved(candidates: [string, () => Promise<number>][]): Promise<Map<string, number>> {
	const xs = new Map(candidates.map(([l]) => [l, [] as number[]]));
	for (let r = 0; r < repeats; r++) for (const [l, f] of candidates) xs.get(l)!.push(await f());
	return new Map([...xs].map(([l, v]) => [l, median(v)]));
}
const cold = await interleaved(builds.map(([l, bin], i) => [l, () => firstOutputMs(bin, ['run', '-e', hello], coldEnv(i))]));
// Node parses the NODE_EXTRA_CA_CERTS bundle at every start (~20-40 ms here; docs/parse.md): a row without it when it is set.
// bin/tapfleet starts Node without it since 2d90c41 (README), so for such builds both rows measure the same thing.
const withoutCa = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));
const caRows = process.env.NODE_EXTRA_CA_CERTS ? builds.map(([l]) => `${l} without NODE_EXTRA_CA_CERTS`) : [];
const cached = await interleaved([
	...builds.map(([l, bin], i): [string, () => Promise<number>] => [l, () => firstOutputMs(bin, ['run', '-e', hello], envs[i])]),
	...builds.map(([l, bin], i): [string, () => Promise<number>] => [`${l} no runner`, () => firstOutputMs(bin, ['run', '-e', hello], noRunner(envs[i]!))]),
	...caRows.map((l, i): [string, () => Promise<number>] => [l, () => firstOutputMs(builds[i]![1], ['run', '-e', hello], withoutCa(envs[i]!))]),
	...builds.map(([l, bin], i): [string, () => Promise<number>] => [`${l} new script`, () => firstOutputMs(bin, ['run', '-e', newScript()], envs[i])]),
	['bpftrace', () => firstOutputMs('bpftrace', ['-e', 'BEGIN { printf("first\\n"); exit(); }'])],
]);
const tp = await interleaved([
	...builds.map(([l, bin], i): [string, () => Promise<number>] => [l, () => firstOutputMs(bin, tpArgs, envs[i])]),
	...builds.map(([l, bin], i): [string, () => Promise<number>] => [`${l} no runner`, () => firstOutputMs(bin, tpArgs, noRunner(envs[i]!))]),
	['bpftrace', () => firstOutputMs('bpftrace', ['-c', `${loop} 1000000`, '-e', 'tracepoint:syscalls:sys_enter_getppid { printf("first\\n"); exit(); }'])],
]);
for (const [label] of builds) {
	console.log(`  ${label} run, begin probe, cold cache        ${cold.get(label)!.toFixed(0)} ms`);
	console.log(`  ${label} run, begin probe, cached            ${cached.get(label)!.toFixed(0)} ms`);
	console.log(`  ${label} run, begin probe, cached, no runner ${cached.get(`${label} no runner`)!.toFixed(0)} ms`);
	console.log(`  ${label} run, begin probe, a new script      ${cached.get(`${label} new script`)!.toFixed(0)} ms`);
	console.log(`  ${label} run -c, tracepoint's first event, cached ${tp.get(label)!.toFixed(0)} ms`);
	console.log(`  ${label} run -c, the same, no runner        ${tp.get(`${label} no runner`)!.toFixed(0)} ms`);
}
for (const l of caRows) console.log(`  ${l} run, begin probe, cached  ${cached.get(l)!.toFixed(0)} ms`);
console.log(`  bpftrace, BEGIN                            ${cached.get('bpftrace')!.toFixed(0)} ms`);
console.log(`  bpftrace -c, tracepoint's first event       ${tp.get('bpftrace')!.toFixed(0)} ms`);
console.log(`machine load at the end ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
// The builds' warm runners stop with the benchmark, not 300 s of idling later.
for (const env of [perEventEnv, ...envs]) stopWarmRunners(env.XDG_STATE_HOME!);
