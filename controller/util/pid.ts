// Process ids as the kernel has them, for -x PID (the CLI, the agent) and
// for telling whether a process still exists.

/** The kernel's largest pid (PID_MAX_LIMIT on 64-bit). */
export const PID_MAX_LIMIT = 4_194_304;

/** Whether a process `pid` exists on this machine (EPERM: it does, and is another user's). */
export function processExists(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code !== 'ESRCH';
	}
}
