// Pass 3 for the kmod runtime: the elaborated program → one C file that
// kbuild compiles together with runtime-c/kmod into a kernel module. The
// statements, expressions, globals and printing are the bpf translator's
// (controller/translate/): kmod compiles the runtime API with both sides
// on, so every handler is written the way the bpf runtime's user side
// writes begin/end/timer handlers, and kernel probes differ only in where
// they attach and how they read their target variables (probe-point.ts).
import { counted, passClock } from '../../util/pass-report.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConcreteProbe, FunctionDef, Program } from '../../elaborate/program.js';
import { Body } from '../body.js';
import { argumentRegisters } from '../calls.js';
import { type PointNames, pointNames, probePointHelper, isReturnProbe } from '../probe-points.js';
import { cLong } from '../c-text.js';
import { globalDeclarations } from '../declarations.js';
import { formatAndLocationTables, manifestLists, moduleDescriptor } from '../module-tables.js';
import { genExpr } from '../expressions.js';
import { bodyLines, functionPrototype, genFunction } from '../handlers.js';
import { ModuleContext, TranslateError } from '../module-context.js';
import { genBlock, labelLine } from '../statements.js';
import type { TranslateOptions, Translation } from '../translate.js';
import { reachableFunctions } from '../walk.js';
import { embeddedFunction } from './embedded-function.js';
import { userSymbolTables } from './user-symbols.js';
import { kmodDescriptor, kmodMemberRead, kmodProbeFilter, kmodReadTarget, kmodWriteTarget } from './probe-point.js';

const helper = (name: string) => readFileSync(fileURLToPath(new URL(`../../../../controller/translate/c/${name}`, import.meta.url)), 'utf8');
/** The tapset string helpers of the bpf user side; the kernel has no <stdlib.h>. */
const STRING_HELPERS = helper('user-strings.h').replace('#include <stdlib.h>\n', '');
/** Those of the bpf kernel side (user_string_quoted, open flags), over the kernel's own fault-safe copies. */
const KERNEL_HELPERS = helper('kernel-strings.h') + helper('kernel-quote.h');

/*
 * The BPF helpers kernel-strings.h calls, over what the kernel exports to
 * modules, with the same results: the length copied including the NUL (the
 * buffer's size when truncated), negative on a fault. A kernel string may
 * be at any address a script gives (kernel_string_n()), so it is copied
 * without faulting, a byte at a time (6.1 does not export
 * strncpy_from_kernel_nofault()).
 */
const BPF_HELPER_SHIMS = `static inline long tap_kmod_read_str(char *dst, __u32 size, const char *src)
{
	__u32 i;

	for (i = 0; i < size; i++) {
		if (copy_from_kernel_nofault(&dst[i], src + i, 1)) {
			dst[0] = '\\0';
			return -EFAULT;
		}
		if (!dst[i])
			return i + 1;
	}
	if (size)
		dst[size - 1] = '\\0';
	return size;
}

static inline long tap_kmod_read_user_str(char *dst, __u32 size, const void *uaddr)
{
	long n;

	pagefault_disable();
	n = strncpy_from_user(dst, (const char __user *)uaddr, size);
	pagefault_enable();
	if (n < 0)
		return n;
	if (n >= size) {
		dst[size - 1] = '\\0';
		return size;
	}
	return n + 1;
}
#define bpf_probe_read_kernel_str(dst, size, src) tap_kmod_read_str((dst), (size), (src))
#define bpf_probe_read_user_str(dst, size, src) tap_kmod_read_user_str((dst), (size), (src))
#define bpf_snprintf(buf, size, fmt, args, argsz) snprintf((buf), (size), (fmt), *(const __u64 *)(args))
`;

/*
 * A tracepoint argument's member chain ($next->pid, $next->mm->owner), or
 * a user-space program's parameter's (`user`: the probed process's
 * memory): byte offsets from the argument with a pointer loaded between
 * two, then the member (probe-point.ts). Reads are fault-safe; a fault is
 * stap's "read fault [man error::fault] at 0x..." error.
 */
const MEMBER_READER = `static int tap_kmod_member(struct tap_context *c, unsigned long addr,
			   const long *steps, int n, void *dst, int size,
			   int is_signed, int user)
{
	char msg[64];
	__u64 v = 0;
	int i;

	for (i = 0; i < n; i++) {
		addr += steps[i];
		if (i < n - 1 &&
		    (user ? copy_from_user_nofault(&addr, (const void __user *)addr, sizeof(addr)) :
			    copy_from_kernel_nofault(&addr, (const void *)addr, sizeof(addr))))
			goto fault;
	}
	if (!size) {
		if (user ? tap_user_string(dst, (const void *)addr) : tap_kernel_string(dst, (const void *)addr))
			goto fault;
		return 0;
	}
	if (user ? copy_from_user_nofault(&v, (const void __user *)addr, size) :
		   copy_from_kernel_nofault(&v, (const void *)addr, size))
		goto fault;
	if (is_signed && size < 8)
		v = (__u64)((__s64)(v << (64 - 8 * size)) >> (64 - 8 * size));
	*(tap_long *)dst = (tap_long)v;
	return 0;
fault:
	snprintf(msg, sizeof(msg), "read fault [man error::fault] at 0x%lx", addr);
	tap_error_user(c, msg);
	return -1;
}
`;

/*
 * Guru-mode writes of target variables (probe-point.ts kmodWriteTarget):
 * an argument register of a probed function at its entry (x86-64's
 * calling convention, as regs_get_kernel_argument() reads them), and a
 * member of a kernel structure, written fault-safe (a fault is stap's
 * "kernel write fault" error).
 */
const TARGET_WRITERS = `static void tap_kmod_set_argument(struct pt_regs *regs, int n, unsigned long v)
{
	static const unsigned int offs[] = {
		offsetof(struct pt_regs, di), offsetof(struct pt_regs, si),
		offsetof(struct pt_regs, dx), offsetof(struct pt_regs, cx),
		offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	};

	if (n >= 0 && n < ARRAY_SIZE(offs))
		*(unsigned long *)((char *)regs + offs[n]) = v;
}

static int tap_kmod_member_write(struct tap_context *c, unsigned long addr,
				 tap_long value, int size)
{
	char msg[64];

	if (addr < TASK_SIZE_MAX)
		goto fault;
	pagefault_disable();
	switch (size) {
	case 1:
		__put_kernel_nofault((void *)addr, &value, u8, fault_enabled);
		break;
	case 2:
		__put_kernel_nofault((void *)addr, &value, u16, fault_enabled);
		break;
	case 4:
		__put_kernel_nofault((void *)addr, &value, u32, fault_enabled);
		break;
	default:
		__put_kernel_nofault((void *)addr, &value, u64, fault_enabled);
		break;
	}
	pagefault_enable();
	return 0;
fault_enabled:
	pagefault_enable();
fault:
	snprintf(msg, sizeof(msg), "kernel write fault at 0x%lx [man error::fault]", addr);
	tap_error_user(c, msg);
	return -1;
}
`;

const PRELUDE = `#include "tap.h"
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <asm/unistd.h>

/* Declarations and helpers serve every script; each uses only some of them. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wunused-label"
#pragma GCC diagnostic ignored "-Wunknown-pragmas"

#define TAP_FN static __attribute__((unused))
#define strtoll(s, end, base) simple_strtoll((s), (end), (base))
${STRING_HELPERS}
${BPF_HELPER_SHIMS}${KERNEL_HELPERS}
${MEMBER_READER}
${TARGET_WRITERS}`;

/** `probe never` is dropped (stap never runs it). */
const runs = (p: ConcreteProbe) => p.event.kind !== 'never';

function render(b: Body, header: string, prologue: string[]): string {
	const struct = b.usesLocalsStruct ? [`struct ${b.name}_locals {`, ...b.fields.map((f) => `\t${f}`), '};', `TAP_LOCALS(${b.name}, struct ${b.name}_locals);`] : [];
	return [...struct, header, '{', ...prologue.map((p) => `\t${p}`), ...bodyLines(b), '\treturn 0;', '}'].join('\n');
}

function genKmodProbe(mod: ModuleContext, p: ConcreteProbe, index: number): string {
	const name = `probe_${index}`;
	const b = new Body(mod, 'user', name, false);
	b.probePoint = p.point;
	b.probeName = p.named;
	b.shared.probeIsReturn = isReturnProbe(p);
	b.shared.eventKind = p.event.kind;
	argumentRegisters(b, p);
	// a user stack taken at a function's entry starts with the return address on top of the stack (kmod_ustack.c)
	if (p.event.kind === 'uprobe' && p.event.symbol && !p.event.isReturn) b.line('tap_ustack_at_function_entry(c);');
	kmodProbeFilter(b, p);
	for (const v of p.locals) {
		const c = b.declareVar(v, false);
		if (v.type === 'string') b.line(`${c}[0] = '\\0';`);
		else if (c.startsWith('l->')) b.line(`${c} = 0;`);
	}
	for (const v of p.targetVars) kmodReadTarget(b, v, p);
	b.targetReader = (body, v) => kmodMemberRead(body, v);
	b.targetWriter = (body, v, value, tok) => kmodWriteTarget(body, v, value, p, tok);
	if (p.condition) {
		b.line(`if (!(${genExpr(b, p.condition)}))`);
		b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
	}
	genBlock(b, p.body);
	labelLine(b, 'out');
	const prologue = [
		...(b.usesLocalsStruct ? [`struct ${name}_locals *l = TAP_LOCALS_GET(${name});`] : []),
		...(b.usesGlobals ? ['struct tap_globals *G = TAP_GLOBALS_GET();'] : []),
		...b.cLocals,
		'',
		...(b.usesGlobals ? ['if (!G)', '\tgoto out;'] : []),
	];
	const header = `/* probe ${p.point}, ${p.tok.file.name}:${p.tok.line}:${p.tok.column} */\nstatic int ${name}(struct tap_context *c)`;
	return render(b, header, prologue);
}

/**
 * A script function's locals (strings: MAXSTRINGLEN each) live on the C
 * stack on the bpf user side; a kernel stack is a few KiB and kbuild
 * refuses frames over 2 KiB. Here they are allocated per call (functions
 * may recurse, so no static slot will do) and freed on every return.
 */
function heapFrame(fn: string): string {
	const m = /\n\tstruct (\w+)_locals lv, \*l = &lv;\n/.exec(fn);
	if (!m) return fn;
	return fn
		.replace(m[0], `\n\tstruct ${m[1]}_locals *l = kmalloc(sizeof(*l), GFP_ATOMIC);\n\n\tif (!l)\n\t\treturn 1;\n`)
		.replace(/\n\treturn ([01]);(?=\n)/g, '\n\tkfree(l);\n\treturn $1;');
}

/** Initialized scalar globals, set before every begin probe (stap sets them at module init). */
function initProbe(mod: ModuleContext): string | null {
	const inits = mod.program.globals.filter((g) => g.init !== null && !mod.isArrayLike(g));
	if (!inits.length) return null;
	const lines = inits.map((g) =>
		typeof g.init === 'string' ? `\ttap_str_copy(G->${mod.global(g)}, ${mod.stringLiteral(g.init)});` : `\tG->${mod.global(g)} = ${cLong(g.init as bigint)};`,
	);
	return ['/* global initializers */', 'static int probe_0(struct tap_context *c)', '{', '\tstruct tap_globals *G = TAP_GLOBALS_GET();', '', '\t(void)c;', ...lines, '\treturn 0;', '}'].join('\n');
}

/** Pass 3 (with -v, its line: stap says which file the C went to; here it goes to pass 4 in memory). */
export function translateKmod(program: Program, opts: TranslateOptions): Translation {
	const clock = passClock();
	const t = translateKmodProgram(program, opts);
	clock.done(`Pass 3: translated to C (${counted(t.source.split('\n').length - 1, 'line')}) `);
	return t;
}

function translateKmodProgram(program: Program, opts: TranslateOptions): Translation {
	const mod = new ModuleContext(program);
	mod.moduleName = opts.name;
	mod.bothSides = true;
	const probes = program.probes.filter(runs);
	const table: { point: string; kind: string; desc: string }[] = [];
	const code: string[] = [];
	const init = initProbe(mod);
	if (init) {
		code.push(init);
		table.push({ point: 'begin', kind: 'begin', desc: `{ .point = "begin", .kind = TAP_PK_BEGIN, .priority = (-9223372036854775807LL - 1), .run = probe_0 }` });
	}
	const reachable = reachableFunctions(probes.flatMap((p) => [p.body, p.condition]));
	const fns = reachable.filter((f): f is FunctionDef => f.body.kind === 'script');
	// the script's embedded C functions (guru mode): pasted, as stap does
	const embedded = reachable.filter((f) => f.body.kind === 'embedded');
	if (embedded.length) mod.guru = true;
	code.push(...[...fns, ...embedded].map(functionPrototype), ...embedded.map(embeddedFunction), ...fns.map((f) => heapFrame(genFunction(mod, f, 'user').code)));
	const points = new Map<number, PointNames>();
	for (const p of probes) {
		const index = table.length;
		code.push(genKmodProbe(mod, p, index));
		table.push({ point: p.point, kind: p.event.kind, desc: kmodDescriptor(p, index) });
		points.set(index, pointNames(p));
	}
	code.unshift(...probePointHelper(mod, 'user', points)); // before the functions that call it
	if (!table.length) throw new TranslateError(null, 'the script has no probes to run');

	const source = [
		`/* Generated by tapfleet pass 3 (kmod runtime) from ${opts.scriptName ?? 'a script'}. */`,
		PRELUDE,
		...mod.stringTable().map((s) => s.replace('static const char', 'static const char __attribute__((unused))')),
		'',
		...mod.regexDefinitions('__attribute__((unused))'),
		...globalDeclarations(mod),
		...formatAndLocationTables(mod),
		...userSymbolTables(program, opts.symbolFiles),
		...mod.helpers.flatMap((h) => [h, '']),
		...code.flatMap((c) => [c, '']),
		...moduleDescriptor(mod, opts.name, table.map((t) => t.desc)),
		'',
	].join('\n');
	return { source, ...manifestLists(table, program.globals, mod.runsCommands, mod.guru) };
}
