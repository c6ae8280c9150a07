// Process identity through /proc: a pid alone can be reused, so the journal
// records each taprun's start time too, and the agent touches a process
// only if both match.
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined if gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) may contain spaces and parentheses: skip past the last ')'.
		const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// A zombie has released everything it held (BPF links, maps): count it as gone.
		return rest[0] === 'Z' || rest[0] === 'X' ? undefined : rest[19];
	} catch {
		return undefined;
	}
}

export function isSameProcess(pid: number, startTime: string): boolean {
	return processStartTime(pid) === startTime;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(pid: number, startTime: string, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
	if (!isSameProcess(pid, startTime)) return 'gone';
	try {
		process.kill(pid, 'SIGTERM');
	} catch {
		return 'gone';
	}
	const deadline = Date.now() + graceMs;
	while (Date.now() < deadline) {
		await sleep(50);
		if (!isSameProcess(pid, startTime)) return 'terminated';
	}
	try {
		process.kill(pid, 'SIGKILL');
	} catch {
		/* gone in between */
	}
	while (isSameProcess(pid, startTime)) await sleep(20);
	return 'killed';
}
