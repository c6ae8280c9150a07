// Output throughput from one session to the controller, end to end: taprun
// -> agent (sequenced buffer) -> gRPC over mTLS -> `tapfleet run` -> a pipe
// this process reads and counts. The chatty module prints numbered lines as
// fast as asked; what arrives is compared with what was printed (the end
// probe says how many), and drops are read from tapfleet's drop reports.
// Usage: node dist/bench/agent-throughput.js [SECONDS=5] [LINES_PER_10MS=10000] [--prefix|--json]
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { buildModule, spawnAgent, TAPFLEET, tempDir, testPki } from '../test/agent/helpers.js';

const seconds = Number(process.argv[2] ?? 5);
const burst = Number(process.argv[3] ?? 10_000);
const format = process.argv.slice(4);

const pki = await testPki(1);
const chatty = await buildModule('chatty', tempDir('bench-mod'), { CHATTY_PERIOD_MS: 10, CHATTY_BURST: burst });
const agent = await spawnAgent(['--listen', '127.0.0.1:0', '--pki', pki.agentDir('a0'), '--state-dir', tempDir('bench-state')]);

const t0 = performance.now();
let firstAt = 0;
let lastAt = 0;
let lines = 0;
let tail = '';
let stderr = '';
const child = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '-T', String(seconds), '--module', chatty, '--host', agent.address, ...format], { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.setEncoding('latin1');
child.stdout.on('data', (d: string) => {
	const now = performance.now();
	if (!firstAt) firstAt = now;
	lastAt = now;
	// --json: one object per record, many lines each; count the escaped newlines inside.
	const newline = format.includes('--json') ? '\\n' : '\n';
	for (let i = d.indexOf(newline); i !== -1; i = d.indexOf(newline, i + 1)) lines++;
	// An escaped newline split across two reads.
	if (newline.length === 2 && tail.endsWith('\\') && d.startsWith('n')) lines++;
	tail = (tail + d).slice(-200);
});
child.stderr.on('data', (d) => (stderr += d));
const status = await new Promise((r) => child.on('close', r));
const printed = Number(/end after (\d+) lines/.exec(tail)?.[1] ?? NaN) + 2; // + "started" and the end line
const dropped = [...stderr.matchAll(/(\d+) output record\(s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
const streamS = (lastAt - firstAt) / 1000;
process.stdout.write(
	`status ${status}; ${lines} lines received of ${printed} printed (${printed - lines} lost, ${dropped} records reported dropped)\n` +
		`${(lines / streamS).toFixed(0)} lines/s over ${streamS.toFixed(2)} s of streaming (${((performance.now() - t0) / 1000).toFixed(2)} s wall)\n`,
);
if (stderr.trim()) process.stdout.write(`stderr:\n${stderr.slice(0, 2000)}\n`);
agent.child.kill('SIGTERM');
