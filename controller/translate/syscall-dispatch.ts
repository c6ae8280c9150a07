// Many syscall probes on the bpf runtime (syscall.*: some 360 sys_enter_X
// tracepoints) from two raw tracepoints. Each syscall tracepoint is a perf
// event to the kernel, and closing one waits for an RCU grace period under
// a global mutex (~30-70 ms here), so stopping a session of syscall.* took
// 12-26 s. Above DISPATCH_MIN_PROBES syscall probes, the module instead
// attaches one program to raw_syscalls' sys_enter and one to sys_exit (a
// raw tracepoint detaches without that wait), which tail-call the probes'
// programs through BPF_MAP_TYPE_PROG_ARRAY maps indexed by the syscall's
// number; several probes of one call chain from one array to the next
// (level 0, 1 ...). The probes read their arguments from the registers, as
// the kmod runtime does (syscall-args.ts). Below the threshold each probe
// keeps its own tracepoint: the raw ones run for every system call of the
// machine, a cost that only pays for itself when many calls are traced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeDir } from '../build/toolchain.js';
import type { ConcreteProbe } from '../elaborate/program.js';
import { syscallEvent } from './syscall-args.js';
import { uapiSyscallName } from './syscall-names.js';
import { onForgetCommandCaches } from '../util/command-cache.js';

/** From this many syscall tracepoint probes on, a module dispatches them. */
export const DISPATCH_MIN_PROBES = 32;

/** Entries of each program array: x86-64's syscall numbers stay below this. */
export const DISPATCH_SLOTS = 1024;

/** The kernel follows at most 33 tail calls in a row: a call with more probes than this keeps its own tracepoint. */
export const MAX_CHAIN = 32;

export interface DispatchedProbe {
	readonly nr: number;
	readonly exit: boolean;
	/** Which program array holds it: the nth probe of its call and direction. */
	readonly level: number;
	/** The array the next probe of the same call and direction is in, if there is one. */
	readonly next: string | null;
}

let numbers: Map<string, number> | undefined;
onForgetCommandCaches(() => (numbers = undefined));

/** x86-64's syscall numbers by uapi name, from the runtime's generated table (common/tap_syscalls.h). */
function syscallNumbers(): Map<string, number> {
	if (!numbers) {
		const text = readFileSync(join(runtimeDir, 'common', 'tap_syscalls.h'), 'utf8');
		numbers = new Map([...text.matchAll(/\[(\d+)\] = "(\w+)"/g)].map((m) => [m[2]!, Number(m[1])]));
	}
	return numbers;
}

/** The array name of a direction and level. */
export function dispatchArray(exit: boolean, level: number): string {
	return `tap_sys_${exit ? 'exit' : 'enter'}_${level}`;
}

/** Which kernel-side probes are dispatched, and how; empty below the threshold. */
export function planSyscallDispatch(probes: readonly ConcreteProbe[]): Map<ConcreteProbe, DispatchedProbe> {
	const known = probes.flatMap((p) => {
		const sc = syscallEvent(p);
		const nr = sc ? syscallNumbers().get(uapiSyscallName(sc.call)) : undefined;
		return sc && nr !== undefined && nr < DISPATCH_SLOTS ? [{ p, nr, exit: sc.exit }] : [];
	});
	const plan = new Map<ConcreteProbe, DispatchedProbe>();
	if (known.length < DISPATCH_MIN_PROBES) return plan;
	const byCall = new Map<string, typeof known>();
	for (const k of known) {
		const key = `${k.exit ? 'x' : 'e'}${k.nr}`;
		byCall.set(key, [...(byCall.get(key) ?? []), k]);
	}
	for (const group of byCall.values()) {
		if (group.length > MAX_CHAIN) continue;
		group.forEach((k, level) => {
			const next = level + 1 < group.length ? dispatchArray(k.exit, level + 1) : null;
			plan.set(k.p, { nr: k.nr, exit: k.exit, level, next });
		});
	}
	return plan;
}

/** The program arrays and the two dispatching programs a plan needs (kernel side). */
export function dispatcherCode(plan: ReadonlyMap<ConcreteProbe, DispatchedProbe>): string[] {
	const out: string[] = [];
	for (const exit of [false, true]) {
		const levels = Math.max(0, ...[...plan.values()].filter((d) => d.exit === exit).map((d) => d.level + 1));
		if (levels === 0) continue;
		for (let level = 0; level < levels; level++) out.push(`TAP_SYSCALL_ARRAY(${dispatchArray(exit, level)}, ${DISPATCH_SLOTS});`);
		out.push(`TAP_SYSCALL_DISPATCHER(${exit ? 'exit' : 'enter'}, ${dispatchArray(exit, 0)});`, '');
	}
	return out;
}
