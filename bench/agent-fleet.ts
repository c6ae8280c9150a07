// Agent benchmarks (not tests; figures go to docs/agent.md):
//  - time from `tapfleet run` to the first output line, with a cached
//    (prebuilt) module, on 1, 10 and 50 agents (each its own process, mTLS
//    on loopback), and the time until the whole run is done;
//  - agent idle memory (RSS of each agent process after the runs, idle).
// Usage: node dist/bench/agent-fleet.js [COUNTS=1,10,50] [REPEATS=5]
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueAgent } from '../controller/pki/keys.js';
import { agentPkiDir } from '../controller/pki/layout.js';
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

/** One `tapfleet run`: ms to the first stdout byte and to exit; lines seen. */
function timedRun(args: string[]): Promise<{ firstMs: number; totalMs: number; lines: number; status: number | null }> {
	return new Promise((resolve) => {
		const t0 = performance.now();
		let firstMs = NaN;
		let out = '';
		const child = spawn(process.execPath, [TAPFLEET, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
		child.stdout.on('data', (d) => {
			if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
			out += d;
		});
		child.on('close', (status) => resolve({ firstMs, totalMs: performance.now() - t0, lines: out.split('\n').filter(Boolean).length, status }));
	});
}

const pki = await testPki(0);
const max = Math.max(...counts);
const hello = await buildModule('hello', tempDir('bench-mod'));
// A private copy of taprun: a rebuild of the repository's must not disturb the figures.
const taprun = join(tempDir('bench-bin'), 'taprun');
copyFileSync(TAPRUN, taprun);
chmodSync(taprun, 0o755);
const agents: SpawnedAgent[] = [];
// Whatever happens, no agent outlives the benchmark.
process.on('exit', () => agents.forEach((a) => a.child.kill('SIGKILL')));
for (let i = 0; i < max; i++) await issueAgent(pki.dir, `b${i}`);
// Start them ten at a time: each is a Node process.
for (let i = 0; i < max; i += 10) {
	const batch = [];
	for (let j = i; j < Math.min(max, i + 10); j++) {
		batch.push(spawnAgent(['--listen', '127.0.0.1:0', '--pki', agentPkiDir(pki.dir, `b${j}`), '--state-dir', tempDir('bench-state'), '--taprun', taprun], [], 120_000));
	}
	agents.push(...(await Promise.all(batch)));
}
// Node's own start-up, for reference: the floor under every figure below.
const nodeStart = median(await Promise.all([0, 1, 2].map(async () => (await timedRun(['--version'])).totalMs)));

const rows: string[] = [];
for (const n of counts) {
	const hosts = agents.slice(0, n).flatMap((a) => ['--host', a.address]);
	const runs = [];
	await timedRun(['run', '--pki', pki.dir, '--module', hello, ...hosts]); // warm the page cache
	for (let r = 0; r < repeats; r++) runs.push(await timedRun(['run', '--pki', pki.dir, '--module', hello, ...hosts]));
	const bad = runs.find((r) => r.status !== 0 || r.lines !== n);
	if (bad) throw new Error(`run on ${n} agents: status ${bad.status}, ${bad.lines} lines`);
	rows.push(`| ${n} | ${median(runs.map((r) => r.firstMs)).toFixed(0)} ms | ${median(runs.map((r) => r.totalMs)).toFixed(0)} ms |`);
}
await new Promise((r) => setTimeout(r, 2000));
const rss = agents.map((a) => rssMiB(a.child.pid!));

process.stdout.write(`node start-up (tapfleet --version): ${nodeStart.toFixed(0)} ms\n\n`);
process.stdout.write('| agents | first output line | whole run |\n| --- | --- | --- |\n' + rows.join('\n') + '\n\n');
process.stdout.write(`agent idle RSS: median ${median(rss).toFixed(1)} MiB, max ${Math.max(...rss).toFixed(1)} MiB (${rss.length} agents)\n`);
for (const a of agents) a.child.kill('SIGTERM');
