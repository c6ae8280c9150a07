// stap -v: a line on stderr as each pass ends, with the memory the process
// uses and the time the pass took, in stap's own words and units (its
// main.cxx: getmemusage() from /proc/self/statm; TIMESPRINT from times(2),
// children included, and the wall clock). Off unless a command turns it on
// (`-v`); a long-lived process (the warm runner) forgets it before each run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onForgetCommandCaches } from './command-cache.js';

let write: ((line: string) => void) | undefined;
onForgetCommandCaches(() => (write = undefined));

/** From now on, each pass's line goes to `out` (process.stderr, read when a line is written). */
export function reportPasses(out: () => NodeJS.WritableStream): void {
	write = (line) => out().write(`${line}\n`);
}

export function reportingPasses(): boolean {
	return write !== undefined;
}

/** Linux's USER_HZ, the unit of /proc/PID/stat's times on every architecture tapfleet targets. */
const CLOCK_TICKS = 100;
const PAGE_KB = 4;

interface Times {
	/** user and system ticks of this process and its waited-for children */
	usr: number;
	sys: number;
	realMs: number;
}

function times(): Times {
	// pid (comm) state ppid ... fields 14-17: utime stime cutime cstime; comm may hold spaces
	const stat = readFileSync('/proc/self/stat', 'latin1');
	const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const n = (i: number) => Number(f[i - 3]);
	return { usr: n(14) + n(16), sys: n(15) + n(17), realMs: performance.now() };
}

function memory(): string {
	const [virt, res, shr, , , data] = readFileSync('/proc/self/statm', 'latin1').trim().split(/\s+/).map((p) => Number(p) * PAGE_KB);
	return `using ${virt}virt/${res}res/${shr}shr/${data}data kb, `;
}

export interface PassClock {
	/** The pass's line: `text` (ending in a space), the memory if asked, then its times. */
	done(text: string, withMemory?: boolean): void;
}

const silent: PassClock = { done: () => {} };

/** Starts timing a pass (nothing is read unless passes are reported). */
export function passClock(): PassClock {
	if (!write) return silent;
	const before = times();
	return {
		done(text, withMemory = true) {
			if (!write) return;
			const after = times();
			const ms = (ticks: number) => Math.floor((ticks * 1000) / CLOCK_TICKS);
			write(`${text}${withMemory ? memory() : ''}in ${ms(after.usr - before.usr)}usr/${ms(after.sys - before.sys)}sys/${Math.floor(after.realMs - before.realMs)}real ms.`);
		},
	};
}

/** A line without times ("Pass 4: using cached DIR", "Pass 5: starting run."). */
export function passNote(text: string): void {
	write?.(text);
}

/** "1 probe", "2 probes" (stap's _NF). */
export function counted(n: number, one: string, many = `${one}s`): string {
	return `${n} ${n === 1 ? one : many}`;
}
