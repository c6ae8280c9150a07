// Warm runners of a state directory, read from their logs (the tests and
// bench/run-vs-bpftrace.ts stop the ones they started).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Everything the runners of this state directory have logged. */
export function warmRunnerLog(stateHome: string): string {
	const dir = join(stateHome, 'tapfleet', 'runners');
	return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.log')).map((n) => readFileSync(join(dir, n), 'utf8')).join('') : '';
}

/** The pids of every runner that started serving there, in the order they did. */
export function warmRunnerPids(stateHome: string): number[] {
	return [...warmRunnerLog(stateHome).matchAll(/warm-runner (\d+): serving on/g)].map((m) => Number(m[1]));
}

/** SIGTERM to each of them (one already gone is skipped). */
export function stopWarmRunners(stateHome: string): void {
	for (const pid of warmRunnerPids(stateHome)) {
		try {
			process.kill(pid, 'SIGTERM');
		} catch {
			// gone already
		}
	}
}
