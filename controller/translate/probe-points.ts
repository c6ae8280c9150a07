// pp() and ppfunc(). In a probe's handler the probe point is known when the
// module is generated: a string literal. A script function may be called
// from several probes: there they are looked up by the probe's index in the
// module's probe table (the context's `probe`), in a helper made for the
// sides whose functions ask (tap_probe_point()).
import type { Body } from './body.js';
import type { ModuleContext, Side } from './module-context.js';

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
	if (!b.isFunction) return b.mod.stringLiteral(text(b.probePoint));
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
	if (b.isFunction) return probePointValue(b, 'function');
	const fn = functionOfPoint(b.probePoint);
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
	const cases = [...points].map(([index, point]) =>
		`\tcase ${index}: tap_str_copy(dst, func ? ${mod.stringLiteral(functionOfPoint(point))} : ${mod.stringLiteral(point)}); break;`);
	return [
		'/* pp() (func 0) and ppfunc() (func 1) in a script function: those of the probe that called it */',
		`static ${side === 'kernel' ? '__always_inline ' : ''}void tap_probe_point(struct tap_context *c, char *dst, int func)`,
		'{',
		'\tswitch (c->probe) {',
		...cases,
		"\tdefault: dst[0] = '\\0';",
		'\t}',
		'}',
		'',
	];
}
