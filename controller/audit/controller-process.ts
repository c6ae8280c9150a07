// Which controller process owns a run, and whether it is still alive: a run
// whose controller died is recorded as interrupted by the next controller
// that opens the log on the same machine.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { processExists } from '../util/pid.js';

export interface ControllerTag {
	hostname: string;
	pid: number;
	/** Process start time in clock ticks since boot (/proc/PID/stat field 22): guards against pid reuse. */
	startTicks: string | null;
}

function startTicksOf(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) may contain spaces; fields after it are fixed.
		const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return rest[19] ?? null;
	} catch {
		return null;
	}
}

let self: ControllerTag | undefined;

export function thisController(): ControllerTag {
	self ??= { hostname: hostname(), pid: process.pid, startTicks: startTicksOf(process.pid) };
	return { ...self };
}

/** True only when the tag names a process on this machine that is certainly gone. */
export function controllerIsGone(tag: ControllerTag): boolean {
	if (tag.hostname !== hostname()) return false;
	const me = thisController();
	if (tag.pid === me.pid) return tag.startTicks !== me.startTicks; // this process's own runs (or a reused pid's)
	if (!processExists(tag.pid)) return true;
	const ticks = startTicksOf(tag.pid);
	return tag.startTicks !== null && ticks !== null && ticks !== tag.startTicks;
}

export function describeController(tag: ControllerTag): string {
	return `${tag.hostname} pid ${tag.pid}`;
}
