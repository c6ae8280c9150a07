// Timing one `tapfleet ...` command as a user runs it: a fresh process,
// stdout watched for its first byte and for the line that completes a count.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface TimedCliRun {
	/** ms to the first stdout byte. */
	firstMs: number;
	/** ms to the `lines`-th stdout line (NaN if fewer came). */
	allMs: number;
	/** ms until the process exited. */
	totalMs: number;
	/** Non-empty stdout lines. */
	lines: number;
	status: number | null;
}

/** Runs `node [NODE_ARGS] CLI ARGS...`; `lines` is how many stdout lines make the run "all live" (a hello module prints one per host). */
export function timedCliRun(cli: string, args: string[], env: NodeJS.ProcessEnv, lines = 1, nodeArgs: string[] = []): Promise<TimedCliRun> {
	return new Promise((resolve) => {
		const t0 = performance.now();
		let firstMs = NaN;
		let allMs = NaN;
		let newlines = 0;
		let out = '';
		// a run in its own process, as these benchmarks' figures were taken (run-vs-bpftrace measures warm runners)
		const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { TAPFLEET_WARM_KEEP: '0', ...env } });
		child.stdout.on('data', (d: Buffer) => {
			const now = performance.now() - t0;
			if (Number.isNaN(firstMs)) firstMs = now;
			for (let i = d.indexOf(0x0a); i !== -1; i = d.indexOf(0x0a, i + 1)) if (++newlines === lines) allMs = now;
			out += d;
		});
		child.on('close', (status) => resolve({ firstMs, allMs, totalMs: performance.now() - t0, lines: out.split('\n').filter(Boolean).length, status }));
	});
}
