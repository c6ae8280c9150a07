// A syscall tracepoint's probe read from the registers instead of its trace
// record: the kmod runtime always does (through raw_syscalls), the bpf
// runtime when it dispatches many syscall probes from one raw tracepoint
// (syscall-dispatch.ts). The same arguments, the same casts.
import type { ConcreteProbe } from '../elaborate/program.js';

/** The call of a syscalls:sys_enter_X / sys_exit_X tracepoint probe, or null. */
export function syscallEvent(p: ConcreteProbe): { call: string; exit: boolean } | null {
	const e = p.event;
	if (e.kind !== 'tracepoint' || e.system !== 'syscalls') return null;
	const m = /^sys_(enter|exit)_(\w+)$/.exec(e.event);
	return m ? { call: m[2]!, exit: m[1] === 'exit' } : null;
}

/** x86-64's syscall argument registers, in order (pt_regs fields). */
export const SYSCALL_ARG_REGS = ['di', 'si', 'dx', 'r10', 'r8', 'r9'];

/**
 * Argument `field` of a sys_enter tracepoint as C over `regs` (a struct
 * pt_regs * expression, reads through `read(regs, reg)`), or null where
 * the tracepoint has no such argument. The register holds the C argument:
 * an int is its low 32 bits (dfd -100, not 4294967196).
 */
export function syscallArgument(p: ConcreteProbe, field: string, read: (reg: string) => string): string | null {
	const a = syscallArgumentRegister(p, field);
	return a && `${a.cast}${read(a.reg)}`;
}

/**
 * The pt_regs field that holds argument `field` of a sys_enter tracepoint,
 * and the cast that reads it as its C type; null where there is none.
 */
export function syscallArgumentRegister(p: ConcreteProbe, field: string): { reg: string; cast: string } | null {
	const e = p.event;
	const fields = e.kind === 'tracepoint' ? e.tracepoint.fields.filter((f) => f.name !== '__syscall_nr') : [];
	const i = fields.findIndex((f) => f.name === field);
	if (i < 0 || i > 5) return null;
	const type = fields[i]!.type;
	const cast = /^(int|pid_t|uid_t|gid_t)$/.test(type) ? '(int)' : /^(unsigned int|umode_t|u32)$/.test(type) ? '(unsigned int)' : '';
	return { reg: SYSCALL_ARG_REGS[i]!, cast };
}
