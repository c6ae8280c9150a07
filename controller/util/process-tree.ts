// The processes descended from one (its children, theirs, ...), read from
// /proc, for stopping what a shell command started: a pipeline or a
// background job of `tapfleet run -c 'a | b'` is not in the shell's pid,
// and SIGTERM to the shell alone leaves it running.
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid in a /proc/PID/stat line (the field after the state, which follows the parenthesised name, which may itself hold ") "). */
export function parentPidOf(stat: string): number | undefined {
	const afterName = stat.lastIndexOf(') ');
	if (afterName === -1) return undefined;
	const ppid = Number(stat.slice(afterName + 2).split(' ')[1]);
	return Number.isInteger(ppid) ? ppid : undefined;
}

/** Every live descendant of `pid` (not `pid` itself), parents before their children. */
export function descendantsOf(pid: number): number[] {
	const children = new Map<number, number[]>();
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		let stat: string;
		try {
			stat = readFileSync(`/proc/${name}/stat`, 'latin1');
		} catch {
			continue; // gone meanwhile
		}
		const ppid = parentPidOf(stat);
		if (ppid === undefined) continue;
		let list = children.get(ppid);
		if (!list) children.set(ppid, (list = []));
		list.push(Number(name));
	}
	const out: number[] = [];
	for (let i = -1, at = pid; i < out.length; at = out[++i]!) out.push(...(children.get(at) ?? []));
	return out;
}

/** Sends `signal` to `pid`'s descendants, then to `pid` (each may be gone already). */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
	for (const p of [...descendantsOf(pid), pid]) {
		try {
			process.kill(p, signal);
		} catch {
			// already gone
		}
	}
}
