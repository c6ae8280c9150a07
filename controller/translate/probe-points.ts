// pp(), ppfunc() and pn(). In a probe's handler the probe point is known when the
// module is generated: a string literal. A script function may be called
// from several probes, and a bpf uprobe handler may serve several points
// (translate.ts): there they are looked up by the probe's index in the
// module's probe table (the context's `probe`), in a helper made for the
// sides that ask (tap_probe_point()).
import type { Body } from './body.js';
import type { ConcreteProbe } from '../elaborate/program.js';
import type { ModuleContext, Side } from './module-context.js';
import { cString } from './c-text.js';

/** ppfunc(): the function a probe point names, as stap parses it from pp(): after function(" (or statement("), up to @ or ". */
export function functionOfPoint(point: string): string {
	const fn = point.indexOf('function("');
	const st = point.indexOf('statement("');
	const start = fn >= 0 ? fn + 'function("'.length : st >= 0 ? st + 'statement("'.length : -1;
	if (start < 0) return '';
	const rest = point.slice(start);
	const end = rest.search(/[@"]/);
	return end < 0 ? rest : rest.slice(0, end);
}

/** A probe's pp() and pn(), and whether it is a return probe, by its index in the probe table. */
export interface PointNames {
	readonly point: string;
	readonly name: string;
	readonly isReturn: boolean;
}

/** stap's syscall tapset aliases whose .return is a kretprobe there (tp_syscall's and syscall_any's are tracepoints). */
const KRETPROBE_SYSCALL_ALIAS = /^(nd_|nd1_|nd2_)?syscall\.[^\s=]+\.return$/;

/**
 * is_return(): a function's return, as stap's context says: a uretprobe or
 * kretprobe, and the return of a syscall tapset alias whose stap form is a
 * kretprobe (here a syscall tracepoint, with stap's answer). The alias is
 * the point the script named, or the point a user's alias on the way names
 * (a derivation step "myret = syscall.read.return": what follows its last
 * " = "); the tapset's own step ("syscall.read.return = ... =
 * kernel.trace(...)") ends at the tracepoint.
 */
export function isReturnProbe(p: ConcreteProbe): boolean {
	if ((p.event.kind === 'uprobe' || p.event.kind === 'kprobe') && p.event.isReturn) return true;
	return KRETPROBE_SYSCALL_ALIAS.test(p.named) || p.derivation.some((d) => KRETPROBE_SYSCALL_ALIAS.test(d.slice(d.lastIndexOf(' = ') + 3)));
}

/** The names of probe `p` for the tables. */
export function pointNames(p: ConcreteProbe): PointNames {
	return { point: p.point, name: p.named, isReturn: isReturnProbe(p) };
}

/** What tap_probe_point() returns: pp(), ppfunc(), pn() or is_return() ("1" or "0"), in the tables' column order. */
const WHAT = ['point', 'function', 'name', 'return'] as const;
type What = (typeof WHAT)[number];

function textOf(p: PointNames, what: What): string {
	if (what === 'return') return p.isReturn ? '1' : '0';
	return what === 'point' ? p.point : what === 'function' ? functionOfPoint(p.point) : p.name;
}

/** is_return() where `b` is: a constant in a handler, else the calling probe's, from the tables. */
export function probeIsReturnValue(b: Body): string {
	if (!b.isFunction && !b.shared.pointFromContext) return b.shared.probeIsReturn ? '1LL' : '0LL';
	return `((tap_long)(${probePointValue(b, 'return')}[0] == '1'))`;
}

/** The value of pp() (`what` 'point'), ppfunc() ('function'), pn() ('name') or is_return()'s text where `b` is. */
export function probePointValue(b: Body, what: What): string {
	if (!b.isFunction && !b.shared.pointFromContext) return b.mod.stringLiteral(textOf({ point: b.probePoint, name: b.probeName, isReturn: !!b.shared.probeIsReturn }, what));
	b.mod.probePointLookups.add(b.mod.bothSides ? 'user' : b.side);
	const s = b.strTemp();
	b.line(`tap_probe_point(c, ${s}, ${WHAT.indexOf(what)});`);
	return s;
}

/** Events that interrupt the kernel somewhere: probefunc() names where. */
const SAMPLED: ReadonlySet<string> = new Set(['perf', 'profile']);

/**
 * probefunc(): the probed function where the point names one (as
 * ppfunc(): stap names the probed function at entry and at return alike),
 * else, for a sample of the kernel, the function it interrupted
 * (symname(addr()), `addr` its C), else "". In a script function, the
 * calling probe's ppfunc().
 */
export function probeFunctionValue(b: Body, addr: () => string): string {
	const fn = functionOfPoint(b.probePoint);
	if (b.isFunction || (fn && b.shared.pointFromContext)) return probePointValue(b, 'function');
	const kernel = b.side === 'kernel' || b.mod.bothSides;
	if (fn || !kernel || !SAMPLED.has(b.shared.eventKind)) return b.mod.stringLiteral(fn);
	const s = b.strTemp();
	b.line(`tap_symname(${s}, ${addr()});`);
	return s;
}

/**
 * The helper for `side`, over `points` (probe table index -> probe point),
 * or nothing when no function there asked; its string literals join the
 * module's table (so call it before the table is written).
 */
export function probePointHelper(mod: ModuleContext, side: Side, points: ReadonlyMap<number, PointNames>): string[] {
	if (!mod.probePointLookups.has(side)) return [];
	if (side === 'kernel') return kernelPointTable(points);
	const cases = [...points].map(([index, p]) =>
		`\tcase ${index}: tap_str_copy(dst, what == 3 ? ${mod.stringLiteral(textOf(p, 'return'))} : what == 2 ? ${mod.stringLiteral(p.name)} : what ? ${mod.stringLiteral(functionOfPoint(p.point))} : ${mod.stringLiteral(p.point)}); break;`);
	return [
		'/* pp() (what 0), ppfunc() (1), pn() (2) and is_return() (3) in a script function: those of the probe that called it */',
		'static void tap_probe_point(struct tap_context *c, char *dst, int what)',
		'{',
		'\tswitch (c->probe) {',
		...cases,
		"\tdefault: dst[0] = '\\0';",
		'\t}',
		'}',
		'',
	];
}

/**
 * The kernel side's helper: a BPF program cannot hold a switch over
 * thousands of points (a wildcard's uprobes share one handler), so the
 * texts are one block of NUL-ended strings in .rodata, found by offset.
 * A point without a backslash (a script escape, which C interprets) has a
 * C literal as long as its text (cString escapes other bytes one for
 * one), so the offsets are counted here; a point with one reads as "".
 */
function kernelPointTable(points: ReadonlyMap<number, PointNames>): string[] {
	const plain = (s: string) => !s.includes('\\');
	const texts: string[] = [''];
	let next = 1;
	const at = (s: string): number => {
		texts.push(s);
		const here = next;
		next += s.length + 1;
		return here;
	};
	const rows: string[] = [];
	for (const [index, p] of points) {
		if (WHAT.every((what) => plain(textOf(p, what)))) rows.push(`\t[${index}] = { ${WHAT.map((what) => at(textOf(p, what))).join(', ')} },`);
	}
	let size = 1;
	for (const index of points.keys()) size = Math.max(size, index + 1);
	return [
		'/* pp() (what 0), ppfunc() (1), pn() (2) and is_return() (3) of the running kernel-side probe, by its index in the probe table */',
		'static const char __attribute__((unused, section(".rodata"))) tap_point_text[] =',
		...texts.map((t) => `\t${cString(t)} "\\0"`),
		'\t;',
		`static const __u32 __attribute__((unused, section(".rodata"))) tap_point_at[${size}][${WHAT.length}] = {`,
		...rows,
		'};',
		'',
		'static __always_inline void tap_probe_point(struct tap_context *c, char *dst, int what)',
		'{',
		'\t__u32 i = c->probe, at;',
		'',
		'\tdst[0] = \'\\0\';',
		`\tif (i >= ${size} || what < 0 || what > ${WHAT.length - 1})`,
		'\t\treturn;',
		'\tat = tap_point_at[i][what];',
		'\tif (at < sizeof(tap_point_text))',
		'\t\tbpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_point_text + at);',
		'}',
		'',
	];
}
