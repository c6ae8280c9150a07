// Where a probe of the kmod runtime attaches (its tap_probes[] descriptor)
// and how its target variables are read there. The module registers
// kprobes, kretprobes, tracepoints, hrtimers and perf counters itself
// (runtime-c/kmod/kmod_probes.c); every handler has the shape of a session
// handler, `static int probe_N(struct tap_context *c)`, named by `.run`.
//
// The per-syscall events (syscalls:sys_enter_openat) are trace events, not
// tracepoints a module can register: they become the raw
// raw_syscalls:sys_enter/sys_exit tracepoints filtered by syscall number,
// with the syscall's arguments taken from the saved user registers.
//
// Fields of other trace events ($next_pid, $filename) are not among a
// tracepoint's TP_PROTO arguments: those probes attach as "trace_event/"
// and read the event's record, laid out as the profile's format file says
// (the same offsets the bpf runtime reads at).
//
// Uprobes attach at the file offset pass 2 found in the ELF file here;
// the module looks the path up on the target.
import type { ConcreteProbe, TargetVar } from '../../elaborate/program.js';
import type { Token } from '../../parse/token.js';
import type { Body } from '../body.js';
import { cLong, cStringRaw } from '../c-text.js';
import { narrowing, readRecordField } from '../handlers.js';
import { bitFieldValue, readChain } from '../member.js';
import { TranslateError } from '../module-context.js';
import { sdtArgumentOf } from '../sdt-arg.js';
import { SYSCALL_ARG_REGS, syscallArgument, syscallArgumentRegister, syscallEvent } from '../syscall-args.js';
import { uapiSyscallName } from '../syscall-names.js';
import { uprobeSpec } from '../uprobe-spec.js';
import { bindProcfsValue, procfsDescriptor } from '../procfs.js';

/** An ordinary tracepoint whose handler reads fields of its trace event. */
function readsRecord(p: ConcreteProbe): boolean {
	const e = p.event;
	if (e.kind !== 'tracepoint' || e.system === 'raw_syscalls' || syscallEvent(p)) return false;
	return p.targetVars.some((v) => v.source.kind === 'tracepoint_field');
}

function kernelAttach(p: ConcreteProbe): string {
	const e = p.event;
	switch (e.kind) {
		case 'kprobe':
			if (e.offset) throw new TranslateError(p.tok, 'kernel.function with an offset is not supported by the kmod runtime yet');
			return `${e.isReturn ? 'kretprobe' : 'kprobe'}/${e.symbol}`;
		case 'tracepoint': {
			const sc = syscallEvent(p);
			if (sc) return `tracepoint/raw_syscalls/${sc.exit ? 'sys_exit' : 'sys_enter'}`;
			return `${readsRecord(p) ? 'trace_event' : 'tracepoint'}/${e.system}/${e.event}`;
		}
		case 'raw_tracepoint':
			return `tracepoint/raw/${e.event}`;
		case 'uprobe':
			return `${e.isReturn ? 'uretprobe' : 'uprobe'}/${uprobeSpec(e)}`;
		default:
			throw new TranslateError(p.tok, `internal: ${e.kind} is not a kernel-side probe`);
	}
}

/** The tap_probes[] entry of probe `index`. */
export function kmodDescriptor(p: ConcreteProbe, index: number): string {
	const e = p.event;
	const point = cStringRaw(p.point);
	const run = `.run = probe_${index}`;
	switch (e.kind) {
		case 'begin':
		case 'end':
		case 'error':
			return `{ .point = ${point}, .kind = TAP_PK_${e.kind.toUpperCase()}, .priority = ${cLong(e.priority)}, ${run} }`;
		case 'procfs':
			return procfsDescriptor(e, p.point, index);
		case 'timer':
			if (e.randomizeNs) throw new TranslateError(p.tok, 'timer randomization is not supported by the kmod runtime yet');
			return `{ .point = ${point}, .kind = TAP_PK_TIMER, .period_ns = ${cLong(e.intervalNs)}, ${run} }`;
		case 'profile':
			// stap's timer.profile: every CPU at the tick rate (250 Hz): cpu-clock every 4 ms
			return `{ .point = ${point}, .kind = TAP_PK_PERF, .period_ns = 4000000, .perf_type = 1 /* PERF_TYPE_SOFTWARE */, .perf_config = 0 /* PERF_COUNT_SW_CPU_CLOCK */, ${run} }`;
		case 'perf': {
			const freq = e.sampleFrequency !== null;
			const period = freq ? e.sampleFrequency! : e.samplePeriod ?? 1000000n;
			return `{ .point = ${point}, .kind = TAP_PK_PERF, .period_ns = ${cLong(period)}, .perf_type = ${e.type}, .perf_freq = ${freq ? 1 : 0}, .perf_config = ${e.config}ULL, ${run} }`;
		}
		default:
			return `{ .point = ${point}, .kind = TAP_PK_KERNEL, .prog = ${cStringRaw(kernelAttach(p))}, ${run} }`;
	}
}

/** Lines at the top of a handler before anything else: the syscall filter. */
export function kmodProbeFilter(b: Body, p: ConcreteProbe): void {
	const sc = syscallEvent(p);
	if (!sc) return;
	// sys_enter: TP_PROTO(regs, id); sys_exit: TP_PROTO(regs, ret), the number in orig_ax
	const nr = sc.exit ? '((struct pt_regs *)tap_tp_arg(c, 0))->orig_ax' : 'tap_tp_arg(c, 1)';
	b.line(`if ((long)${nr} != __NR_${uapiSyscallName(sc.call)})`);
	b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
}

type ArgumentSource = Extract<TargetVar['source'], { kind: 'tp_arg' | 'call_arg' }>;

/** A TP_PROTO argument ($next) or a member of what it points to ($next->comm). */
function readArgument(b: Body, v: TargetVar, s: ArgumentSource, p: ConcreteProbe): void {
	if (readsRecord(p)) {
		throw new TranslateError(p.tok, `a kmod probe reads either the fields of its trace event or the arguments of its tracepoint, not both (${v.name} and ${p.targetVars.find((t) => t.source.kind === 'tracepoint_field')!.name})`);
	}
	if (!s.steps.length) {
		const t = b.longTemp();
		b.vars.set(v, t);
		// the register holds the C argument: an int is its low 32 bits
		const cast = s.size < 8 ? `(__${s.signed ? 's' : 'u'}${s.size * 8})` : '';
		b.line(`${t} = (tap_long)${cast}${argumentSlot(s)};`);
		return;
	}
	// a member chain is read where it is used (below), as stap does: `if ($prev->mm) ... $prev->mm->pgd` must not fault
}

/** C for the value of a tracepoint's argument, or of a probed kernel function's (its argument register). */
function argumentSlot(s: ArgumentSource): string {
	return s.kind === 'tp_arg' ? `(unsigned long)tap_tp_arg(c, ${s.index})` : `regs_get_kernel_argument(tap_regs(c), ${s.index})`;
}

/**
 * Reads member chain `v` ($next->comm) here, where the script uses it;
 * null for every other target variable (read at entry). A fault raises
 * the error there (a try block catches it).
 */
export function kmodMemberRead(b: Body, v: TargetVar): string | null {
	const s = v.source;
	if ((s.kind !== 'tp_arg' && s.kind !== 'call_arg') || !s.steps.length) return null;
	const t = s.string ? b.field('tap_string', 'tv') : b.longTemp();
	const dst = s.string ? t : `&${t}`;
	b.line(`if (tap_kmod_member(c, ${argumentSlot(s)}, (const long[]){ ${s.steps.join(', ')} }, ${s.steps.length}, ${dst}, ${s.size}, ${s.signed && !s.bits ? 1 : 0}, ${s.user ? 1 : 0}))`);
	b.lines.push({ depth: b.depth + 1, text: `goto ${b.errTarget};` });
	return s.bits ? bitFieldValue(t, s.bits, s.signed) : t;
}

/**
 * Writes `value` (a stable C long) into target variable `v` of probe `p`,
 * stap's guru-mode writes: a kprobe's or uprobe's argument register at the
 * function's entry, a return probe's return-value register, a system
 * call's argument or return register in the pt_regs the sys_enter and
 * sys_exit tracepoints get (sys_enter runs before the call reads its
 * arguments from them, sys_exit before the return to user space restores
 * them), or a member in kernel memory. The handler's copy of the variable
 * is updated, so later reads see the value written, as stap's do.
 */
export function kmodWriteTarget(b: Body, v: TargetVar, value: string, p: ConcreteProbe, tok: Token): void {
	b.mod.guru = true;
	const s = v.source;
	const regsProbe = p.event.kind === 'kprobe' || p.event.kind === 'uprobe';
	const sc = syscallEvent(p);
	const copy = (read: string) => {
		const t = b.vars.get(v);
		if (t) b.line(`${t} = (tap_long)${read};`);
	};
	if ((s.kind === 'call_arg' || s.kind === 'tp_arg') && s.steps.length) {
		if (s.bits) throw new TranslateError(tok, `${v.name} is a bitfield: writing one is not supported`);
		return writeMember(b, v, s, value, tok);
	}
	if (regsProbe && s.kind === 'return_value') {
		b.line(`regs_set_return_value(tap_regs(c), (unsigned long)${value});`);
		return copy(`${narrowing(s)}${value}`);
	}
	if (regsProbe && (s.kind === 'arg' || s.kind === 'call_arg')) {
		if (s.index < 0 || s.index > 5) throw new TranslateError(tok, `${v.name} is not in a register: only the first 6 arguments can be written`);
		b.line(`tap_kmod_set_argument(tap_regs(c), ${s.index}, (unsigned long)${value});`);
		return copy(s.kind === 'call_arg' && s.size < 8 ? `(__${s.signed ? 's' : 'u'}${s.size * 8})${value}` : value);
	}
	const regs = '((struct pt_regs *)tap_tp_arg(c, 0))';
	if (sc && s.kind === 'tracepoint_field' && v.type !== 'string') {
		const arg = sc.exit ? { reg: 'ax', cast: '' } : syscallArgumentRegister(p, s.field.name);
		if (arg) {
			b.line(`${regs}->${arg.reg} = (unsigned long)${value};`);
			return copy(`${arg.cast}${value}`);
		}
	}
	throw new TranslateError(tok, `${v.name} cannot be written by the kmod runtime (function arguments at entry, $return, system call arguments and members of kernel structures can)`);
}

/** `$arg->member = value`: the member's address from its chain, then a fault-safe write into kernel memory. */
function writeMember(b: Body, v: TargetVar, s: ArgumentSource, value: string, tok: Token): void {
	if (s.user) throw new TranslateError(tok, `${v.name} is in the probed program's memory: only kernel memory can be written`);
	const last = s.steps[s.steps.length - 1]!;
	// the pointer loaded before the last step, as &...->member reads it (member.ts)
	const base = s.steps.length > 1 ? `(unsigned long)${readChain(b, argumentSlot(s), s.steps.slice(0, -1), 8, false, false, tok)}` : argumentSlot(s);
	b.line(`if (tap_kmod_member_write(c, ${base} + ${last}, ${value}, ${s.size}))`);
	b.lines.push({ depth: b.depth + 1, text: `goto ${b.errTarget};` });
}

/** Reads target variable `v` of probe `p` at entry into a temporary of `b`. */
export function kmodReadTarget(b: Body, v: TargetVar, p: ConcreteProbe): void {
	if (bindProcfsValue(b, v)) return;
	const s = v.source;
	const e = p.event;
	const sc = syscallEvent(p);
	const into = (expr: string) => {
		const t = b.longTemp();
		b.vars.set(v, t);
		b.line(`${t} = (tap_long)(${expr});`);
	};
	// kprobes and uprobes: the registers at the probe (a uprobe's are the task's user registers)
	const regsProbe = e.kind === 'kprobe' || e.kind === 'uprobe';
	if (regsProbe && s.kind === 'arg') {
		if (s.index < 0 || s.index > 5) b.unsupported(p.tok, `argument ${s.index + 1} of a function (registers hold 6)`);
		return into(`regs_get_kernel_argument(tap_regs(c), ${s.index})`);
	}
	if (regsProbe && s.kind === 'return_value') return into(`${narrowing(s)}tap_return_value(c)`);
	if (s.kind === 'sdt_arg') return into(sdtArgumentOf(v.name, s.operand, p));
	if (s.kind === 'tp_arg' || (s.kind === 'call_arg' && regsProbe)) return readArgument(b, v, s, p);
	if (readsRecord(p) && s.kind === 'tracepoint_field') {
		const t = v.type === 'string' ? b.field('tap_string', 'tv') : b.longTemp();
		b.vars.set(v, t);
		return readRecordField(b, v, s, t, 'tap_tp_record(c)', p);
	}
	if (sc && s.kind === 'tracepoint_field' && v.type !== 'string') {
		if (sc.exit) return into('tap_tp_arg(c, 1)'); // the only field besides the number: ret
		const arg = syscallArgument(p, s.field.name, (reg) => `((struct pt_regs *)tap_tp_arg(c, 0))->${reg}`);
		if (!arg) b.unsupported(p.tok, `target variable ${v.name}`);
		return into(arg);
	}
	const rawExit = e.kind === 'tracepoint' && (sc?.exit || (e.system === 'raw_syscalls' && e.event === 'sys_exit'));
	const raw = e.kind === 'tracepoint' && e.system === 'raw_syscalls';
	if (s.kind === 'syscall_nr' || (raw && s.kind === 'tracepoint_field' && s.field.name === 'id')) {
		return into(rawExit ? '((struct pt_regs *)tap_tp_arg(c, 0))->orig_ax' : 'tap_tp_arg(c, 1)');
	}
	if (raw && rawExit && s.kind === 'tracepoint_field' && s.field.name === 'ret') return into('tap_tp_arg(c, 1)');
	// sys_enter's $arg1..$arg6 (syscall_any, process.syscall): the call's argument registers
	if (raw && !rawExit && s.kind === 'arg' && s.index >= 0 && s.index < SYSCALL_ARG_REGS.length) {
		return into(`((struct pt_regs *)tap_tp_arg(c, 0))->${SYSCALL_ARG_REGS[s.index]}`);
	}
	throw new TranslateError(p.tok, `target variable ${v.name} is not supported by the kmod runtime yet (kernel.function and process(...).function arguments, $return, syscall arguments and tracepoint fields are)`);
}
