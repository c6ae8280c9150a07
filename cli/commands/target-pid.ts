// -x PID: the text of a process id, as the kernel's pids go (1 to
// PID_MAX_LIMIT); where the process must exist is the caller's to check
// (this host before a local run; the agent's host at its load).
import { PID_MAX_LIMIT } from '../../controller/util/pid.js';

export function parseTargetPid(text: string): number {
	const pid = Number(text);
	if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(pid) || pid > PID_MAX_LIMIT) throw new Error(`-x ${JSON.stringify(text)}: expected a process id`);
	return pid;
}
