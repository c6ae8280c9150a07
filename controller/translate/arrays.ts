// Global arrays, scalar globals and statistics as C: the key struct a
// lookup fills, the value types, and the map operations of the runtime API
// (TAP_MAP_*, TAP_STAT_*), with stap's overflow errors.
import type { Token } from '../parse/token.js';
import type { Expr, GlobalVar, HistExpr, IndexRef, VarRef } from '../elaborate/program.js';
import type { Body } from './body.js';
import { commBounded, TranslateError } from './module-context.js';

export type ExprGen = (b: Body, e: Expr) => string;

/** The C type of one element's value. */
export function valueType(b: Body, g: GlobalVar): string {
	if (g.type === 'stats') return `struct ${b.mod.global(g)}_value`;
	return g.type === 'string' ? 'tap_string' : 'tap_long';
}

/** The C type of a key (statistics without keys use key 0). */
export function keyType(b: Body, g: GlobalVar): string {
	return g.keys === null ? '__u32' : `struct ${b.mod.global(g)}_key`;
}

/**
 * Evaluates `keys` into a fresh key struct; returns a pointer expression to
 * it. `access`: whether the key may create an element ('write': it decides
 * how wide a string column must be) or only finds one ('read', delete).
 */
export function fillKey(b: Body, g: GlobalVar, keys: readonly Expr[], gen: ExprGen, access: 'read' | 'write' = 'write'): string {
	const key = b.field(keyType(b, g), 'k');
	if (g.keys === null) {
		b.line(`${key} = 0;`);
		return `&${key}`;
	}
	if (keys.length !== g.keys.length) throw new TranslateError(keys[0]?.tok ?? g.tok, `array ${g.name} takes ${g.keys.length} index expressions`);
	keys.forEach((k, i) => {
		if (g.keys![i] === 'string' && access === 'write') b.mod.noteKeyString(g, i, k);
	});
	// evaluate first (an index may itself read an array), then fill
	const values = keys.map((k) => {
		const v = gen(b, k);
		if (k.type === 'string') return v;
		if (/^-?\d+LL$/.test(v)) return v;
		const t = b.longTemp();
		b.line(`${t} = ${v};`);
		return t;
	});
	// keys hash as bytes: every byte is written (TAP_KEY_CLEAR, and each string to its end)
	b.line(`TAP_KEY_CLEAR(${key});`);
	values.forEach((v, i) => {
		if (g.keys![i] !== 'string') {
			b.line(`${key}.k${i} = ${v};`);
			return;
		}
		b.line(`TAP_KEY_STR(${key}.k${i}, ${v});`);
		// A column of task names (tap_comm_key) holds nothing longer: a longer
		// string is not cut to find a name, it finds nothing (a byte no stored
		// key has). The condition is constant for every other column.
		if (access === 'read' && !commBounded(keys[i]!)) {
			const k = `${key}.k${i}`;
			b.line(`if (sizeof(${k}) < MAP_STRING_LENGTH && tap_str_len(${v}) >= (tap_long)sizeof(${k}))`);
			b.lines.push({ depth: b.depth + 1, text: `${k}[sizeof(${k}) - 1] = 1;` });
		}
	});
	return `&${key}`;
}

/** Raises the overflow error of array `g` when `cond` (the map call's result) is non-zero. */
export function checkOverflow(b: Body, g: GlobalVar, cond: string, tok: Token): void {
	if (g.maxSize > 0) b.raiseIf(cond, 'TAP_E_MAP_SIZE', tok, String(g.maxSize));
	else b.raiseIf(cond, 'TAP_E_MAP_FULL', tok);
}

/** Reads element `ref` into a temporary; returns the C rvalue. */
export function readElement(b: Body, ref: IndexRef, gen: ExprGen): string {
	const g = ref.array;
	const m = b.mod.global(g);
	const key = fillKey(b, g, ref.keys, gen, 'read');
	if (g.type === 'string') {
		const s = b.strTemp();
		b.line(`TAP_MAP_GET(${m}, ${key}, &${s});`);
		return s;
	}
	const v = b.field('tap_long', 'e');
	b.line(`TAP_MAP_GET(${m}, ${key}, &${v});`);
	return v;
}

/** Stores `value` (a C rvalue of the element type) into element `ref`. */
export function writeElement(b: Body, ref: IndexRef, key: string, value: string): void {
	const g = ref.array;
	const m = b.mod.global(g);
	if (g.type === 'string') {
		const s = b.strTemp();
		b.line(`TAP_KEY_STR(${s}, ${value});`);
		checkOverflow(b, g, `TAP_MAP_SET(${m}, ${key}, &${s})`, ref.tok);
	} else {
		const v = b.field('tap_long', 'e');
		b.line(`${v} = ${value};`);
		checkOverflow(b, g, `TAP_MAP_SET(${m}, ${key}, &${v})`, ref.tok);
	}
}

/** The aggregate of statistic `stat` (a scalar or an element) in a locals field; returns a tap_stat_data pointer. */
export function readAggregate(b: Body, stat: VarRef | IndexRef | HistExpr['stat'], gen: ExprGen): string {
	const g = stat.kind === 'index' ? stat.array : (stat.variable as GlobalVar);
	if (g.kind !== 'global' || g.type !== 'stats') throw new TranslateError(stat.tok, 'internal: not a statistic');
	const m = b.mod.global(g);
	const key = fillKey(b, g, stat.kind === 'index' ? stat.keys : [], gen, 'read');
	const agg = b.field(`struct ${m}_value`, 'agg');
	b.open(`if (!TAP_STAT_GET(${m}, ${key}, &${agg}))`);
	b.line(`__builtin_memset(&${agg}, 0, sizeof(${agg}));`);
	b.depth--;
	return `TAP_AGG(&${agg})`;
}

/** Evaluates the fixed columns of a slice (`[1, *]`) once; null entries stay wildcards. */
export function sliceValues(b: Body, keys: readonly (Expr | null)[], gen: ExprGen): (string | null)[] {
	return keys.map((k) => {
		if (!k) return null;
		const v = gen(b, k);
		if (k.type === 'string') {
			const s = b.strTemp();
			b.line(`tap_str_copy(${s}, ${v});`);
			return s;
		}
		const t = b.longTemp();
		b.line(`${t} = ${v};`);
		return t;
	});
}

/** C condition: the key struct `key` matches the slice's fixed columns. */
export function sliceMatch(g: GlobalVar, key: string, values: readonly (string | null)[]): string {
	// a key's string member may be shorter than a string (tap_key_string, tap_comm_key)
	const parts = values.flatMap((v, i) => (v === null ? [] : [g.keys![i] === 'string' ? `tap_str_ncmp(${key}.k${i}, ${v}, sizeof(${key}.k${i})) == 0` : `${key}.k${i} == ${v}`]));
	return parts.length ? parts.join(' && ') : '1';
}

/**
 * Runs `onMatch` (emitting C into the Body it is given) for each element of
 * `g` matching the slice; `key` holds the element's key meanwhile, and
 * `stop` is the C statement that ends the walk. User side: a snapshot walk.
 * Kernel side: a bpf_for_each_map_elem() callback (verified once; it may
 * delete the element it is given), which reaches the slice's values through
 * the handler's locals struct, as a loop's callback does.
 */
export function forEachInSlice(b: Body, g: GlobalVar, keys: readonly (Expr | null)[], gen: ExprGen, onMatch: (body: Body, key: string, stop: string) => void): void {
	const values = sliceValues(b, keys, gen);
	const m = b.mod.global(g);
	if (b.side === 'kernel') return kernelSliceWalk(b, g, values, onMatch);
	const it = b.field('struct tap_iter', 'it');
	const key = b.field(`struct ${m}_key`, 'k');
	const stop = b.label('sliced');
	b.open(`if (!tap_foreach_begin(&${it}, &${m}, NULL, 0)) {`);
	b.open(`while (tap_foreach_next(&${it}, &${key}, NULL)) {`);
	b.open(`if (${sliceMatch(g, key, values)}) {`);
	onMatch(b, key, `goto ${stop};`);
	b.close();
	b.close();
	b.lines.push({ depth: b.depth - 1, text: `${stop}: __attribute__((unused));` });
	b.line(`tap_foreach_end(&${it});`);
	b.close();
}

function kernelSliceWalk(b: Body, g: GlobalVar, values: readonly (string | null)[], onMatch: (body: Body, key: string, stop: string) => void): void {
	const m = b.mod.global(g);
	const name = `${b.shared.localsName}_slice_${b.label('')}`;
	const cb = b.child(name);
	// the values live in the locals struct (kernel-side temporaries always do): the callback reads them there
	for (const v of values) if (v !== null && !v.startsWith('l->')) throw new TranslateError(null, `internal: slice value ${v} outside the locals struct`);
	cb.usesLocalsStruct = true;
	cb.open(`if (${sliceMatch(g, '(*k)', values)}) {`);
	onMatch(cb, '(*k)', 'return 1;');
	cb.close();
	cb.line('return 0;');
	b.shared.callbacks.push(() => cb.callbackFunction(`static long ${name}(void *map, struct ${m}_key *k, void *v, void *data)`, ['map', 'k', 'v', 'data']));
	b.line(`TAP_FOREACH_KERNEL(${m}, ${name});`);
}

/** The statistic global a histogram draws. */
export function histStat(h: HistExpr): GlobalVar {
	const g = h.stat.kind === 'index' ? h.stat.array : h.stat.variable;
	if (g.kind !== 'global' || g.type !== 'stats') throw new TranslateError(h.tok, 'internal: histogram of a non-statistic');
	return g;
}

/** @hist_log(s)[i]: the count in bucket i (stap's row index), range-checked. */
export function histBucket(b: Body, h: HistExpr, bucket: Expr, gen: ExprGen): string {
	const g = histStat(h);
	const agg = readAggregate(b, h.stat, gen);
	const i = b.longTemp();
	b.line(`${i} = ${gen(b, bucket)};`);
	b.raiseIf(`${i} < 0 || ${i} >= ${b.mod.global(g)}_desc.buckets`, 'TAP_E_HIST_INDEX', bucket.tok);
	return `((tap_long)${agg}->hist[${i}])`;
}
