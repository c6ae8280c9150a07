// Pass 3: the elaborated program → one C source for the runtime API
// (runtime-c/common/tap.h). The bpf runtime compiles it twice: clang
// -target bpf takes the kernel-side probes (TAP_SIDE_KERNEL: tracepoints,
// uprobes, perf events, CO-RE against the target's vmlinux.h) and cc the
// user part (TAP_SIDE_USER: begin/end/error/timer probes, printf formats,
// sorted foreach, statistics reading). A kmod runtime can compile the same
// text once with both sides on, which is why nothing here names BPF.
import { counted, passClock } from '../util/pass-report.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConcreteProbe, FunctionDef, Program } from '../elaborate/program.js';
import { cLong } from './c-text.js';
import { dispatcherCode, planSyscallDispatch } from './syscall-dispatch.js';
import { uprobeSpec } from './uprobe-spec.js';
import { checkFifoDirections, procfsDescriptor } from './procfs.js';
import { globalDeclarations } from './declarations.js';
import { formatAndLocationTables, manifestLists, moduleDescriptor } from './module-tables.js';
import { functionPrototype, genFunction, genProbe, type HandlerCode } from './handlers.js';
import { type PointNames, pointNames, probePointHelper } from './probe-points.js';
import { ModuleContext, type Side, TranslateError } from './module-context.js';
import { recursiveFunctions, reachableFunctions } from './walk.js';
import { cString, cStringRaw } from './c-text.js';
import { bpfUserSymbolTables } from './user-symbol-tables.js';

export { TranslateError };

export interface TranslateOptions {
	/** Module name (TAP_MODULE .name). */
	name: string;
	/** Shown in the header comment. */
	scriptName?: string;
	/** Files whose symbol tables the module carries besides the probed ones (-d): kmod's frames, bpf's usymname() and the like. */
	symbolFiles?: readonly string[];
}

export interface Translation {
	source: string;
	probes: { point: string; kind: string }[];
	globals: { name: string; type: string }[];
	/** The script calls system() (manifest runsCommands). */
	runsCommands: boolean;
	/** The script writes target variables or embeds C (manifest guru). */
	guru: boolean;
}

/** C helpers of the user side that the runtime API leaves to the generator (tapset string functions). */
const helper = (name: string) => readFileSync(fileURLToPath(new URL(`../../../controller/translate/c/${name}`, import.meta.url)), 'utf8');
const USER_HELPERS = helper('user-strings.h');
/** The same for kernel-side handlers (syscall argument formatting). */
const KERNEL_HELPERS = helper('kernel-strings.h') + helper('kernel-quote.h');

const PRELUDE = `#include "tap.h"

/* Declarations serve both sides; each side uses only some of them. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"

#if TAP_SIDE_KERNEL
#define TAP_FN static __noinline __attribute__((unused))
${KERNEL_HELPERS}
#else
#define TAP_FN static __attribute__((unused))
${USER_HELPERS}#endif
`;

type ProbeKind = 'begin' | 'end' | 'error' | 'timer' | 'procfs' | 'kernel' | 'perf' | 'never';

function probeKind(p: ConcreteProbe): ProbeKind {
	const e = p.event;
	switch (e.kind) {
		case 'begin':
		case 'end':
		case 'error':
		case 'timer':
		case 'procfs':
		case 'never':
			return e.kind;
		case 'perf':
		case 'profile':
			return 'perf';
		default:
			return 'kernel';
	}
}

const sideOf = (k: ProbeKind): Side => (k === 'kernel' || k === 'perf' ? 'kernel' : 'user');

interface TableEntry {
	point: string;
	kind: ProbeKind;
	desc: string;
}

/** Probe `index`'s descriptor; `program` is the kernel-side program that serves it (its own, or a shared one). */
function describe(mod: ModuleContext, p: ConcreteProbe, index: number, program = `probe_${index}`): string {
	const e = p.event;
	const point = cStringRaw(p.point);
	switch (e.kind) {
		case 'begin':
		case 'end':
		case 'error':
			return `{ .point = ${point}, .kind = TAP_PK_${e.kind.toUpperCase()}, .priority = ${cLong(e.priority)}, .run = probe_${index} }`;
		case 'timer':
			if (e.randomizeNs) throw new TranslateError(p.tok, 'timer randomization is not supported by the bpf runtime yet');
			return `{ .point = ${point}, .kind = TAP_PK_TIMER, .period_ns = ${cLong(e.intervalNs)}, .run = probe_${index} }`;
		case 'procfs':
			return procfsDescriptor(e, p.point, index);
		case 'profile':
			// stap's timer.profile: every CPU at the tick rate (250 Hz): perf cpu-clock every 4 ms
			return `{ .point = ${point}, .kind = TAP_PK_PERF, .prog = "probe_${index}", .period_ns = 4000000, .perf_type = 1 /* PERF_TYPE_SOFTWARE */, .perf_config = 0 /* PERF_COUNT_SW_CPU_CLOCK */ }`;
		case 'perf': {
			const freq = e.sampleFrequency !== null;
			const period = freq ? e.sampleFrequency! : e.samplePeriod ?? 1000000n;
			return `{ .point = ${point}, .kind = TAP_PK_PERF, .prog = "probe_${index}", .period_ns = ${cLong(period)}, .perf_type = ${e.type}, .perf_freq = ${freq ? 1 : 0}, .perf_config = ${e.config}ULL }`;
		}
		case 'tracepoint': {
			const d = mod.syscallDispatch.get(p);
			if (!d) return `{ .point = ${point}, .kind = TAP_PK_KERNEL, .prog = "probe_${index}" }`;
			return `{ .point = ${point}, .kind = TAP_PK_SYSCALL, .prog = "probe_${index}", .syscall_nr = ${d.nr}, .syscall_exit = ${d.exit ? 1 : 0}, .syscall_level = ${d.level} }`;
		}
		case 'uprobe':
			return `{ .point = ${point}, .kind = TAP_PK_UPROBE, .prog = "${program}", .uprobe = ${cStringRaw(uprobeSpec(e))}, .uretprobe = ${e.isReturn ? 1 : 0} }`;
		default:
			return `{ .point = ${point}, .kind = TAP_PK_KERNEL, .prog = "probe_${index}" }`;
	}
}

/**
 * What makes two shareable handlers one: their text (locals struct
 * included) with their own name made neutral and without the comment line
 * that names the point.
 */
function shareKey(h: HandlerCode, index: number): string {
	const own = new RegExp(`\\bprobe_${index}(?!\\d)`, 'g');
	const text = `${h.frame?.struct ?? ''}\n${h.code.slice(h.code.indexOf('\n') + 1)}`;
	return text.replace(own, 'probe_@');
}

/** The handler that sets initialized globals before any begin probe (stap does it at module init). */
function initHandler(mod: ModuleContext, index: number): string | null {
	const inits = mod.program.globals.filter((g) => g.init !== null && !mod.isArrayLike(g));
	if (!inits.length) return null;
	const lines = inits.map((g) =>
		typeof g.init === 'string' ? `\ttap_str_copy(G->${mod.global(g)}, ${mod.stringLiteral(g.init)});` : `\tG->${mod.global(g)} = ${cLong(g.init as bigint)};`,
	);
	return [`/* global initializers */`, `static int probe_${index}(struct tap_context *c)`, '{', '\tstruct tap_globals *G = TAP_GLOBALS_GET();', '', '\t(void)c;', '\tif (!G)', '\t\treturn 0;', ...lines, '\treturn 0;', '}'].join('\n');
}

/** The kernel-side handlers' locals structs, their union, and the one per-CPU map that holds it. */
function probeFrames(frames: NonNullable<HandlerCode['frame']>[]): string[] {
	if (frames.length === 0) return [];
	return [
		...frames.flatMap((f) => [f.struct, '']),
		'union tap_probe_frames {',
		...frames.map((f) => `\tstruct ${f.name} ${f.name};`),
		'};',
		'TAP_PROBE_LOCALS_MAP();',
		'',
	];
}

/** Pass 3 (with -v, its line: stap says which file the C went to; here it goes to pass 4 in memory). */
export function translate(program: Program, opts: TranslateOptions): Translation {
	const clock = passClock();
	const t = translateProgram(program, opts);
	clock.done(`Pass 3: translated to C (${counted(t.source.split('\n').length - 1, 'line')}) `);
	return t;
}

function translateProgram(program: Program, opts: TranslateOptions): Translation {
	const mod = new ModuleContext(program);
	mod.moduleName = opts.name;
	const probes = program.probes.filter((p) => probeKind(p) !== 'never');
	mod.syscallDispatch = planSyscallDispatch(probes);
	checkFifoDirections(probes);
	const table: TableEntry[] = [];
	const code: Record<Side, string[]> = { kernel: [], user: [] };

	const init = initHandler(mod, 0);
	if (init) {
		code.user.push(init);
		table.push({ point: 'begin', kind: 'begin', desc: `{ .point = "begin", .kind = TAP_PK_BEGIN, .priority = (-9223372036854775807LL - 1), .run = probe_0 }` });
	}

	// functions, per side that reaches them
	for (const side of ['kernel', 'user'] as const) {
		const roots = probes.filter((p) => sideOf(probeKind(p)) === side).flatMap((p) => [p.body, p.condition]);
		const fns = reachableFunctions(roots).filter((f): f is FunctionDef => f.body.kind === 'script');
		if (side === 'kernel') {
			const rec = recursiveFunctions(fns);
			const first = [...rec][0];
			if (first) throw new TranslateError(first.tok, `function ${first.name} is recursive: the BPF verifier cannot run recursion in kernel-side probes`);
		}
		code[side].push(...fns.map(functionPrototype));
		code[side].push(...fns.map((f) => genFunction(mod, f, side).code));
	}

	const frames: NonNullable<HandlerCode['frame']>[] = [];
	const points: Record<Side, Map<number, PointNames>> = { kernel: new Map(), user: new Map() };
	// shareable handlers by their text: the first one written serves the points of all the same
	const servers = new Map<string, string>();
	for (const p of probes) {
		const index = table.length;
		const kind = probeKind(p);
		const handler = genProbe(mod, p, sideOf(kind), index);
		const key = handler.shareable ? shareKey(handler, index) : undefined;
		const server = key === undefined ? undefined : servers.get(key);
		if (!server) {
			code[sideOf(kind)].push(handler.code);
			if (handler.frame) frames.push(handler.frame);
			if (key !== undefined) servers.set(key, `probe_${index}`);
		}
		table.push({ point: p.point, kind, desc: describe(mod, p, index, server) });
		points[sideOf(kind)].set(index, pointNames(p));
	}
	// before the functions that call it (they come first on each side)
	for (const side of ['kernel', 'user'] as const) code[side].unshift(...probePointHelper(mod, side, points[side]));

	// In .rodata by name: clang 14 puts a static string array in .rodata.str1.1 but
	// describes it in .rodata's BTF, which the kernel refuses (and bpf_loop needs BTF).
	const strings = mod.stringTable().map((s) => s.replace('static const char', 'static const char __attribute__((unused, section(".rodata")))'));

	const source = [
		`/* Generated by tapfleet pass 3 from ${opts.scriptName ?? 'a script'} (runtime API: runtime-c/common/tap.h). */`,
		// user-side probes read kernel memory: the kernel side carries the reader taprun runs for them
		...(mod.userKernelReads ? ['#define TAP_USER_KREAD 1'] : []),
		PRELUDE,
		...strings,
		'',
		...mod.regexDefinitions('__attribute__((section(".rodata")))'),
		...globalDeclarations(mod),
		'#if TAP_SIDE_KERNEL',
		...mod.kernelFormats.map((f, i) => `const char kfmt_${i}[] = ${cString(f)};`),
		...(mod.userSymbols ? bpfUserSymbolTables(program, opts.symbolFiles) : []),
		...dispatcherCode(mod.syscallDispatch),
		...probeFrames(frames),
		...code.kernel.flatMap((c) => [c, '']),
		'#endif /* TAP_SIDE_KERNEL */',
		'',
		'#if TAP_SIDE_USER',
		...formatAndLocationTables(mod),
		...mod.helpers.flatMap((h) => [h, '']),
		...code.user.flatMap((c) => [c, '']),
		...moduleDescriptor(mod, opts.name, table.map((t) => t.desc)),
		'#endif /* TAP_SIDE_USER */',
		'',
	].join('\n');

	return { source, ...manifestLists(table, program.globals, mod.runsCommands) };
}
