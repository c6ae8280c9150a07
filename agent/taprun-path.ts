// Where the agent finds taprun: an explicit option, $TAPFLEET_TAPRUN, the
// copy the bundled agent extracted, or the repository's build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';

declare global {
	// Set by the bundled agent once it has extracted its taprun.
	var __TAPFLEET_TAPRUN__: string | undefined;
}

export function resolveTaprun(explicit?: string): string {
	if (explicit) return explicit;
	if (process.env.TAPFLEET_TAPRUN) return process.env.TAPFLEET_TAPRUN;
	if (globalThis.__TAPFLEET_TAPRUN__) return globalThis.__TAPFLEET_TAPRUN__;
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 5; i++) {
		const candidate = join(dir, 'runtime-c', 'build', 'taprun');
		if (existsSync(candidate)) return candidate;
		dir = dirname(dir);
	}
	return 'taprun'; // from $PATH, if installed there
}

/**
 * taprun's version line, or "unknown" (older builds have no --version).
 * Asynchronous: the agent starts serving while taprun runs (a synchronous
 * exec held up every start, the embedded agent of `tapfleet run` included).
 */
export function taprunVersion(path: string): Promise<string> {
	return new Promise((resolve) =>
		execFile(path, ['--version'], { encoding: 'utf8', timeout: 2000 }, (err, stdout) => {
			if (err) resolve(existsSync(path) ? 'unknown' : 'missing');
			else resolve(stdout.trim().split('\n')[0] || 'unknown');
		}),
	);
}
