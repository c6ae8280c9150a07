// Whole C functions: probe handlers (kernel-side BPF programs and user-side
// handlers taprun calls) and script functions, each with its locals struct,
// prologue (context, locals, globals, target variables) and epilogue.
import type { ArgumentChain, ConcreteProbe, FunctionDef, TargetVar } from '../elaborate/program.js';
import { Body } from './body.js';
import { argumentRegisters, CALL_ARG_REGS, functionName, functionParams } from './calls.js';
import { genExpr } from './expressions.js';
import { type ModuleContext, type Side, TranslateError } from './module-context.js';
import { sdtArgumentOf } from './sdt-arg.js';
import { syscallArgument } from './syscall-args.js';
import type { DispatchedProbe } from './syscall-dispatch.js';
import { readChainValue } from './member.js';
import { bindProcfsValue } from './procfs.js';
import { genBlock, labelLine } from './statements.js';
import { isReturnProbe } from './probe-points.js';

/** The C text of a body's lines. */
export function bodyLines(b: Body): string[] {
	return b.lines.map((l) => '\t'.repeat(l.depth) + l.text);
}

function localsStruct(b: Body): string[] {
	return b.usesLocalsStruct ? [`struct ${b.name}_locals {`, ...b.fields.map((f) => `\t${f}`), '};'] : [];
}

/** The function's text; a kernel-side probe's locals struct is not in it (HandlerCode.frame). */
function render(b: Body, header: string[], prologue: string[], epilogue: string[], hoisted = false): string {
	const struct = hoisted ? [] : localsStruct(b);
	const [comment, ...rest] = header;
	// the locals map first, then the loop callbacks that use it, then the function
	const isLocals = (h: string): boolean => h.startsWith('TAP_LOCALS(') || h.startsWith('#define ');
	const locals = rest.filter(isLocals);
	const fn = rest.filter((h) => !isLocals(h));
	const callbacks = b.shared.callbacks.map((cb) => cb());
	return [comment!, ...struct, ...locals, ...callbacks, ...fn, '{', ...prologue.map((p) => `\t${p}`), ...bodyLines(b), ...epilogue, '}'].join('\n');
}

function localsDecl(b: Body): string[] {
	if (!b.usesLocalsStruct) return [];
	// kernel-side handlers share one map (tap_kernel.h, TAP_PROBE_LOCALS_MAP)
	if (b.side === 'kernel' && !b.isFunction) return [`#define ${b.name}_lmap tap_probe_locals`];
	return b.side === 'kernel' || !b.isFunction ? [`TAP_LOCALS(${b.name}, struct ${b.name}_locals);`] : [];
}

/** C for reading one target variable at probe entry. */
function readTarget(b: Body, v: TargetVar, p: ConcreteProbe): void {
	const c = v.type === 'string' ? b.field('tap_string', 'tv') : b.longTemp();
	b.vars.set(v, c);
	const s = v.source;
	const regsProbe = p.event.kind === 'uprobe' || p.event.kind === 'kprobe';
	if (regsProbe && (s.kind === 'arg' || s.kind === 'return_value')) {
		// uprobes: arguments and the return value from pt_regs (CO-RE)
		if (s.kind === 'arg' && (s.index < 0 || s.index > 5)) b.unsupported(p.tok, `argument ${s.index + 1} of a function (registers hold 6)`);
		const reg = s.kind === 'arg' ? callArgumentRegister(s.index) : 'PT_REGS_RC_CORE((struct pt_regs *)ctx)';
		b.line(`${c} = (tap_long)${s.kind === 'return_value' ? narrowing(s) : ''}${reg};`);
		return;
	}
	if (s.kind === 'sdt_arg') {
		b.line(`${c} = ${sdtArgumentOf(v.name, s.operand, p)};`);
		return;
	}
	const dispatched = b.mod.syscallDispatch.get(p);
	if (dispatched && (s.kind === 'tracepoint_field' || s.kind === 'syscall_nr')) {
		b.line(`${c} = (tap_long)${dispatchedTarget(v, s, p, dispatched)};`);
		return;
	}
	if (s.kind === 'tp_arg') {
		readArgument(b, v, s, c, p);
		return;
	}
	if (s.kind === 'call_arg' && regsProbe) {
		// a kernel function's parameter: its argument register at the kprobe
		if (s.index > 5) b.unsupported(p.tok, `argument ${s.index + 1} of a function (registers hold 6)`);
		readChainFrom(b, v, s, c, callArgumentRegister(s.index));
		return;
	}
	if (s.kind === 'arg' && p.event.kind === 'tracepoint') {
		// raw_syscalls:sys_enter's $arg1..$arg6 (syscall_any, process.syscall): its record's args[6]
		const args = p.event.tracepoint.fields.find((f) => f.name === 'args');
		if (!args || s.index < 0 || s.index > 5) b.unsupported(p.tok, `target variable ${v.name} of ${p.point}`);
		b.line(`${c} = (tap_long)*(__u64 *)((char *)ctx + ${args!.offset + 8 * s.index});`);
		return;
	}
	if (s.kind !== 'tracepoint_field') b.unsupported(p.tok, `target variable ${v.name} (${s.kind})`);
	readRecordField(b, v, s, c, 'ctx', p);
}

type ArgumentSource = Extract<TargetVar['source'], { kind: 'tp_arg' }>;

/** The C cast that narrows a typed return value to its type (nothing for a full register). */
export function narrowing(s: { size?: number; signed?: boolean }): string {
	return s.size && s.size < 8 ? `(__${s.signed ? 's' : 'u'}${s.size * 8})` : '';
}

/** Argument register `index` (0-5) of a kprobe's or uprobe's ctx (libbpf 1.1's PT_REGS_PARMn stop at 5). */
function callArgumentRegister(index: number): string {
	return `TAP_KREG(${CALL_ARG_REGS[index]})`;
}

/** A tracepoint probe that reads TP_PROTO arguments ($next, $rq->__data_len): it is attached as a raw tracepoint. */
function readsArguments(p: ConcreteProbe): boolean {
	return p.event.kind === 'tracepoint' && p.targetVars.some((v) => v.source.kind === 'tp_arg');
}

/**
 * A TP_PROTO argument, from the raw tracepoint's argument array (an int
 * is the low bits of its slot); a member chain ($next->comm) is read where
 * the script uses it (b.targetReader), so that `if ($prev->mm) ...
 * $prev->mm->pgd` does not fault, as stap.
 */
function readArgument(b: Body, v: TargetVar, s: ArgumentSource, c: string, p: ConcreteProbe): void {
	const field = p.targetVars.find((t) => t.source.kind === 'tracepoint_field');
	if (field) {
		throw new TranslateError(p.tok, `a bpf probe reads either the fields of its trace event or the arguments of its tracepoint, not both (${v.name} and ${field.name})`);
	}
	readChainFrom(b, v, s, c, `((struct bpf_raw_tracepoint_args *)ctx)->args[${s.index}]`);
}

/**
 * An argument whose value is `slot` (C), and its member chain: the
 * argument itself (an int is the slot's low bits), or the chain read where
 * the script uses it (b.targetReader).
 */
function readChainFrom(b: Body, v: TargetVar, s: ArgumentChain, c: string, slot: string): void {
	if (!s.steps.length) {
		const cast = s.size < 8 ? `(__${s.signed ? 's' : 'u'}${s.size * 8})` : '';
		b.line(`${c} = (tap_long)${cast}${slot};`);
		return;
	}
	const base = b.longTemp();
	b.line(`${base} = (tap_long)${slot};`);
	const bases = chainBases.get(b) ?? new Map<TargetVar, string>();
	chainBases.set(b, bases.set(v, base));
	b.targetReader ??= (body, t, tok) => {
		const s = t.source as ArgumentChain;
		const at = bases.get(t);
		return at ? readChainValue(body, at, s.steps, s, tok, s.user) : null;
	};
}

/** Per handler: the temporaries holding the base pointers of its arguments' member chains. */
const chainBases = new WeakMap<Body, Map<TargetVar, string>>();

/** A dispatched syscall probe's variable: its number, sys_exit's return value, or an argument register. */
function dispatchedTarget(v: TargetVar, s: TargetVar['source'], p: ConcreteProbe, d: DispatchedProbe): string {
	if (s.kind === 'syscall_nr' || (s.kind === 'tracepoint_field' && s.field.name === '__syscall_nr')) return `${d.nr}`;
	if (s.kind === 'tracepoint_field' && d.exit && s.field.name === 'ret') return '((struct bpf_raw_tracepoint_args *)ctx)->args[1]';
	const arg = s.kind === 'tracepoint_field' && !d.exit ? syscallArgument(p, s.field.name, (reg) => `BPF_CORE_READ(TAP_SYSCALL_REGS(ctx), ${reg})`) : null;
	if (!arg) throw new TranslateError(p.tok, `internal: ${v.name} of a dispatched syscall probe`);
	return arg;
}

/**
 * C that reads tracepoint field `s` of the event record at `record` (a
 * `char *` expression) into `c`: the bpf program's context, the kmod
 * trace event's sample.
 */
export function readRecordField(b: Body, v: TargetVar, s: TracepointFieldSource, c: string, record: string, p: ConcreteProbe): void {
	const at = `((char *)${record} + ${s.field.offset})`;
	if (s.dataLoc) {
		b.line(`tap_kernel_string(${c}, (char *)${record} + (*(__u32 *)${at} & 0xffff));`);
	} else if (s.charArray || v.type === 'string') {
		b.line(`tap_kernel_string(${c}, ${at});`);
	} else {
		const size = s.field.size;
		if (![1, 2, 4, 8].includes(size)) b.unsupported(p.tok, `target variable ${v.name} of ${size} bytes`);
		const ctype = `__${s.field.signed ? 's' : 'u'}${size * 8}`;
		// syscall tracepoints store every argument in 8 bytes: the C type says what it holds (int dfd = -100)
		const narrow = narrowerType(v.cType, size);
		b.line(`${c} = (tap_long)${narrow ? `(${narrow})` : ''}*(${ctype} *)${at};`);
	}
}

type TracepointFieldSource = Extract<TargetVar['source'], { kind: 'tracepoint_field' }>;

/** The fixed-width type of an integer C type narrower than the field's slot, if it is one. */
function narrowerType(cType: string, size: number): string | null {
	const t = cType.replace(/\b(const|volatile)\b/g, '').trim().replace(/\s+/g, ' ');
	const widths: Record<string, string> = {
		int: '__s32', 'signed int': '__s32', 'unsigned int': '__u32', unsigned: '__u32',
		short: '__s16', 'unsigned short': '__u16', umode_t: '__u16',
		char: '__s8', 'signed char': '__s8', 'unsigned char': '__u8',
		pid_t: '__s32', uid_t: '__u32', gid_t: '__u32', key_serial_t: '__s32',
	};
	const w = widths[t];
	if (!w) return null;
	return Number(w.slice(3)) / 8 < size ? w : null;
}

function zeroLocals(b: Body, locals: ConcreteProbe['locals']): void {
	for (const v of locals) {
		const c = b.declareVar(v, false);
		if (v.type === 'string') b.line(`${c}[0] = '\\0';`);
		else if (c.startsWith('l->')) b.line(`${c} = 0;`);
	}
}

export interface HandlerCode {
	side: Side;
	code: string;
	/** A kernel-side probe's locals struct: emitted before every handler, for the union of all of them. */
	frame?: { struct: string; name: string };
	/** It takes its probe's index from the attach cookie: it may serve other points whose handler text is the same. */
	shareable?: boolean;
}

/** Kernel-side section name and context type of a probe's event. */
function kernelSection(p: ConcreteProbe, mod: ModuleContext): string {
	const e = p.event;
	if (mod.syscallDispatch.has(p)) return 'raw_tp'; // tail-called from the dispatcher, not attached itself
	switch (e.kind) {
		// a raw tracepoint, whose program type may not call kfuncs: a BTF-typed one where the code so far does
		case 'tracepoint': return readsArguments(p) ? `${mod.callsKfuncs ? 'tp_btf' : 'raw_tp'}/${e.event}` : `tracepoint/${e.system}/${e.event}`;
		case 'raw_tracepoint': return `raw_tracepoint/${e.event}`;
		// taprun attaches it at the file offset pass 2 found (the module descriptor's `uprobe`)
		case 'uprobe': return e.isReturn ? 'uretprobe' : 'uprobe';
		case 'kprobe': return `${e.isReturn ? 'kretprobe' : 'kprobe'}/${e.symbol}${e.offset ? `+${e.offset}` : ''}`;
		case 'perf':
		case 'profile': return 'perf_event';
		default: throw new TranslateError(p.tok, `internal: ${e.kind} is not a kernel-side probe`);
	}
}

/**
 * A kernel-side uprobe handler takes its probe's index from the attach
 * cookie (taprun sets it to the index in the probe table), so that one
 * program can serve every point its text fits (translate.ts): a wildcard
 * over a program's functions loads and links as one program, not one per
 * function. A point with a backslash keeps its own handler
 * (tap_probe_point()'s table has only points without one).
 */
function servesManyPoints(p: ConcreteProbe, side: Side): boolean {
	return side === 'kernel' && p.event.kind === 'uprobe' && !p.point.includes('\\');
}

export function genProbe(mod: ModuleContext, p: ConcreteProbe, side: Side, tableIndex: number): HandlerCode {
	const name = `probe_${tableIndex}`;
	const b = new Body(mod, side, name, false);
	const shared = servesManyPoints(p, side);
	b.probePoint = p.point;
	b.probeName = p.named;
	b.shared.probeIsReturn = isReturnProbe(p);
	b.shared.pointFromContext = shared;
	b.shared.eventKind = p.event.kind;
	argumentRegisters(b, p);
	zeroLocals(b, p.locals);
	if (side === 'kernel') for (const v of p.targetVars) readTarget(b, v, p);
	else if (!p.targetVars.every((v) => bindProcfsValue(b, v))) b.unsupported(p.tok, 'target variables in begin/end/timer probes');
	if (p.condition) {
		const cond = genExpr(b, p.condition);
		b.line(`if (!(${cond}))`);
		b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
	}
	genBlock(b, p.body);
	labelLine(b, 'out');
	const comment = `/* probe ${p.point}, ${p.tok.file.name}:${p.tok.line}:${p.tok.column} */`;
	const decls = b.usesGlobals ? ['struct tap_globals *G;'] : [];
	const lget = b.usesLocalsStruct ? [`l = TAP_LOCALS_GET(${name});`, 'if (!l)', '\tgoto out;'] : [];
	const gget = b.usesGlobals ? ['G = TAP_GLOBALS_GET();', 'if (!G)', '\tgoto out;'] : [];
	const lvar = b.usesLocalsStruct ? [`struct ${name}_locals *l;`] : [];
	if (side === 'kernel') {
		const header = [comment, ...localsDecl(b), `TAP_KERNEL_PROBE(${name}, ${JSON.stringify(kernelSection(p, mod))}, void *)`];
		const prologue = [`struct tap_context *c = tap_probe_enter(${shared ? 'TAP_ATTACH_INDEX(ctx)' : tableIndex});`, ...lvar, ...decls, ...b.cLocals, '', 'if (!c)', '\treturn 0;', ...lget, ...gget];
		const next = mod.syscallDispatch.get(p);
		// the next probe of the same call, in the next program array (a tail call does not return)
		const leave = next?.next
			? ['\t{', '\t\tint r_ = tap_probe_leave(c);', '', `\t\tbpf_tail_call(ctx, &${next.next}, ${next.nr});`, '\t\treturn r_;', '\t}']
			: ['\treturn tap_probe_leave(c);'];
		const frame = b.usesLocalsStruct ? { struct: localsStruct(b).join('\n'), name: `${name}_locals` } : undefined;
		return { side, code: render(b, header, prologue, leave, true), frame, shareable: shared };
	}
	const header = [comment, ...localsDecl(b), `static int ${name}(struct tap_context *c)`];
	const prologue = [...lvar, ...decls, ...b.cLocals, '', ...lget, ...gget];
	return { side, code: render(b, header, prologue, ['\treturn 0;']) };
}

export function genFunction(mod: ModuleContext, f: FunctionDef, side: Side): HandlerCode {
	if (f.body.kind !== 'script') throw new TranslateError(f.tok, 'internal: not a script function');
	const name = `${functionName(f.mangledName)}`;
	const b = new Body(mod, side, name, true);
	// falling off the end returns "" or 0, as stap: the caller's temporary holds an earlier value
	if (f.returnType === 'string') b.line('ret[0] = \'\\0\';');
	else if (f.returnType === 'long') b.line('*ret = 0;');
	for (const p of f.params) {
		const c = b.declareVar(p, false);
		b.line(p.type === 'string' ? `tap_str_copy(${c}, arg${p.index});` : `${c} = arg${p.index};`);
	}
	zeroLocals(b, f.body.locals);
	genBlock(b, f.body.block);
	labelLine(b, 'done');
	b.line('return 0;');
	labelLine(b, 'out');
	b.line('return 1;');
	const header = [`/* function ${f.name}, ${f.tok.file.name}:${f.tok.line}:${f.tok.column} */`, ...localsDecl(b), `TAP_FN int ${name}(struct tap_context *c, ${functionParams(f)})`];
	const lvar = b.usesLocalsStruct ? (side === 'user' ? [`struct ${name}_locals lv, *l = &lv;`] : [`struct ${name}_locals *l = TAP_LOCALS_GET(${name});`]) : [];
	const decls = b.usesGlobals ? ['struct tap_globals *G = TAP_GLOBALS_GET();'] : [];
	const checks = [
		...(b.usesLocalsStruct && side === 'kernel' ? ['if (!l)', '\treturn 1;'] : []),
		...(b.usesGlobals ? ['if (!G)', '\treturn 1;'] : []),
		'(void)ret;',
	];
	return { side, code: render(b, header, [...lvar, ...decls, ...b.cLocals, '', ...checks], []) };
}

/** The prototype of a script function (so calls may precede definitions). */
export function functionPrototype(f: FunctionDef): string {
	return `TAP_FN int ${functionName(f.mangledName)}(struct tap_context *c, ${functionParams(f)});`;
}
