// pp() and ppfunc(). In a probe's handler the probe point is known when the
// module is generated: a string literal. A script function may be called
// from several probes, and a bpf uprobe handler may serve several points
// (translate.ts): there they are looked up by the probe's index in the
// module's probe table (the context's `probe`), in a helper made for the
// sides that ask (tap_probe_point()).
import type { Body } from './body.js';
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

/** The value of pp() (`what` 'point') or ppfunc() ('function') where `b` is. */
export function probePointValue(b: Body, what: 'point' | 'function'): string {
	const text = (p: string) => (what === 'point' ? p : functionOfPoint(p));
	if (!b.isFunction && !b.shared.pointFromContext) return b.mod.stringLiteral(text(b.probePoint));
	b.mod.probePointLookups.add(b.mod.bothSides ? 'user' : b.side);
	const s = b.strTemp();
	b.line(`tap_probe_point(c, ${s}, ${what === 'function' ? 1 : 0});`);
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
export function probePointHelper(mod: ModuleContext, side: Side, points: ReadonlyMap<number, string>): string[] {
	if (!mod.probePointLookups.has(side)) return [];
	if (side === 'kernel') return kernelPointTable(points);
	const cases = [...points].map(([index, point]) =>
		`\tcase ${index}: tap_str_copy(dst, func ? ${mod.stringLiteral(functionOfPoint(point))} : ${mod.stringLiteral(point)}); break;`);
	return [
		'/* pp() (func 0) and ppfunc() (func 1) in a script function: those of the probe that called it */',
		'static void tap_probe_point(struct tap_context *c, char *dst, int func)',
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
function kernelPointTable(points: ReadonlyMap<number, string>): string[] {
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
	for (const [index, point] of points) {
		if (plain(point)) rows.push(`\t[${index}] = { ${at(point)}, ${at(functionOfPoint(point))} },`);
	}
	let size = 1;
	for (const index of points.keys()) size = Math.max(size, index + 1);
	return [
		'/* pp() (func 0) and ppfunc() (func 1) of the running kernel-side probe, by its index in the probe table */',
		'static const char __attribute__((unused, section(".rodata"))) tap_point_text[] =',
		...texts.map((t) => `\t${cString(t)} "\\0"`),
		'\t;',
		`static const __u32 __attribute__((unused, section(".rodata"))) tap_point_at[${size}][2] = {`,
		...rows,
		'};',
		'',
		'static __always_inline void tap_probe_point(struct tap_context *c, char *dst, int func)',
		'{',
		'\t__u32 i = c->probe, at;',
		'',
		'\tdst[0] = \'\\0\';',
		`\tif (i >= ${size})`,
		'\t\treturn;',
		'\tat = tap_point_at[i][func != 0];',
		'\tif (at < sizeof(tap_point_text))',
		'\t\tbpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_point_text + at);',
		'}',
		'',
	];
}
