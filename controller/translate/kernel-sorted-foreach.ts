// A sorted foreach in a kernel-side handler of the bpf runtime. A BPF
// program cannot sort a map in place, so the elements are taken in order by
// selection: each round walks the map (bpf_for_each_map_elem) for the
// element that comes next after the one the previous round took, in the
// user side's order (the sort column in the asked direction, ties by the
// keys ascending), and runs the body for it. Rounds are bpf_loop()
// callbacks, verified once. A round costs a walk of the map, so `limit N`
// costs N walks (a "top 10" is cheap) and a whole map of M elements M
// walks, bounded as every kernel-side loop is by MAXACTION. Taking the
// elements from the live map gives the order of stap's sorted snapshot
// because the body cannot change the array (pass 2 refuses it, as stap:
// foreach-mutation.ts) but by deleting it whole, which ends the loop;
// another CPU's probe can, as it can change stap's array between rounds.
import type { ForeachStmt, GlobalVar } from '../elaborate/program.js';
import { sliceMatch } from './arrays.js';
import type { Body } from './body.js';
import { afterKernelLoop, bindForeachVars, charge, comparatorText, endLoopCallback, genNested } from './statements.js';

/** What a round compares besides the keys: the element's value (or aggregate), or nothing when sorting by a key. */
interface SortValue {
	/** C type of the copies of the value the cursor and the best candidate keep. */
	readonly ctype: string;
	/** Whether the value is a string (copied with tap_str_copy, compared by pointer). */
	readonly string: boolean;
	/** Statement(s) that put the element's value into `dst` in the select callback (k: key pointer, v: value pointer). */
	fill(cb: Body, dst: string): void;
}

function sortValue(s: ForeachStmt, g: GlobalVar, m: string): SortValue | null {
	if (s.sortColumn !== 0) return null;
	if (g.type === 'string') return { ctype: 'tap_string', string: true, fill: (cb, dst) => cb.line(`tap_str_copy(${dst}, (const char *)v);`) };
	if (g.type !== 'stats') return { ctype: 'tap_long', string: false, fill: (cb, dst) => cb.line(`${dst} = *(const tap_long *)v;`) };
	// a statistic sorts by an aggregate over every CPU (the callback's v is this CPU's part only)
	const agg = s.sortAggregate ?? 'count';
	return {
		ctype: 'tap_long',
		string: false,
		fill: (cb, dst) => {
			const a = cb.field(`struct ${m}_value`, 'agg');
			cb.open(`if (!TAP_STAT_GET(${m}, k, &${a}))`);
			cb.line(`__builtin_memset(&${a}, 0, sizeof(${a}));`);
			cb.depth--;
			cb.line(`${dst} = ${agg === 'avg' ? `tap_stat_avg(TAP_AGG(&${a}))` : `TAP_AGG(&${a})->${agg}`};`);
		},
	};
}

/**
 * foreach (... in a+ / a- / [k+] ... [limit N]) in a kernel-side handler.
 * `slice` holds the slice's fixed columns (locals fields), `remaining` the
 * limit's counter, both evaluated by the caller before the loop.
 */
export function genKernelSortedForeach(b: Body, s: ForeachStmt, g: GlobalVar, slice: readonly (string | null)[], remaining: string | null): void {
	const m = b.mod.global(g);
	const keyT = `struct ${m}_key`;
	const sv = sortValue(s, g, m);
	const id = b.label('');
	const cmp = `${b.shared.localsName}_order_${id}`;
	// values are compared through pointers, as the user side's comparators do (strings: MAXSTRINGLEN buffers, one bpf_loop() each)
	const valueCmp = sv === null ? '0' : sv.string ? 'tap_str_cmp_buffers((const char *)va, (const char *)vb)' : 'tap_cmp_long(*(const tap_long *)va, *(const tap_long *)vb)';
	const cmpText = comparatorText(`static __always_inline int ${cmp}`, s, g, m, valueCmp);

	const cursorKey = b.field(keyT, 'ck');
	const bestKey = b.field(keyT, 'bk');
	const cursorValue = sv ? b.field(sv.ctype, 'cv') : '';
	const bestValue = sv ? b.field(sv.ctype, 'bv') : '';
	const elementValue = sv ? b.field(sv.ctype, 'ev') : '';
	const haveCursor = b.field('tap_long', 'hc');
	const found = b.field('tap_long', 'fd');
	const ref = (v: string) => (sv ? (sv.string ? v : `&${v}`) : 'NULL');

	// the select callback: the least element after the cursor, so far
	const selName = `${b.shared.localsName}_select_${id}`;
	const sel = b.child(selName);
	sel.usesLocalsStruct = true;
	if (slice.length) {
		sel.line(`if (!(${sliceMatch(g, '(*k)', slice)}))`);
		sel.lines.push({ depth: sel.depth + 1, text: 'return 0;' });
	}
	if (sv) sv.fill(sel, elementValue);
	sel.line(`if (${haveCursor} && ${cmp}(k, ${ref(elementValue)}, &${cursorKey}, ${ref(cursorValue)}) <= 0)`);
	sel.lines.push({ depth: sel.depth + 1, text: 'return 0;' });
	sel.line(`if (${found} && ${cmp}(k, ${ref(elementValue)}, &${bestKey}, ${ref(bestValue)}) >= 0)`);
	sel.lines.push({ depth: sel.depth + 1, text: 'return 0;' });
	sel.line(`${bestKey} = *k;`);
	if (sv) sel.line(sv.string ? `tap_str_copy(${bestValue}, ${elementValue});` : `${bestValue} = ${elementValue};`);
	sel.line(`${found} = 1;`);
	sel.line('return 0;');

	// a round: take the next element, then run the body for it
	const roundName = `${b.shared.localsName}_sorted_${id}`;
	const round = b.child(roundName);
	round.line(`${found} = 0;`);
	round.line(`TAP_FOREACH_KERNEL(${m}, ${selName});`);
	round.line(`if (!${found})`);
	round.lines.push({ depth: round.depth + 1, text: 'return 1;' });
	if (remaining) {
		round.line(`if (${remaining}-- <= 0)`);
		round.lines.push({ depth: round.depth + 1, text: 'return 1;' });
	}
	round.line(`${cursorKey} = ${bestKey};`);
	if (sv) round.line(sv.string ? `tap_str_copy(${cursorValue}, ${bestValue});` : `${cursorValue} = ${bestValue};`);
	round.line(`${haveCursor} = 1;`);
	charge(round, 1, s.tok);
	let value = '';
	if (s.valueVar) {
		// the element's value as the body starts (a statistics array has none: bindForeachVars says so)
		if (g.type === 'string') {
			value = round.strTemp();
			round.line(`TAP_MAP_GET(${m}, &${cursorKey}, &${value});`);
		} else if (g.type !== 'stats') {
			value = round.field('tap_long', 'e');
			round.line(`TAP_MAP_GET(${m}, &${cursorKey}, &${value});`);
		}
	}
	bindForeachVars(round, s, g, cursorKey, value);
	round.loops.push({ brk: 'brk', cont: 'cont' });
	genNested(round, s.body);
	endLoopCallback(round);

	b.shared.callbacks.push(
		() => cmpText,
		() => sel.callbackFunction(`static long ${selName}(void *map, ${keyT} *k, void *v, void *data)`, ['map', 'k', 'v', 'data']),
		() => round.callbackFunction(`static long ${roundName}(__u64 index, void *data)`, ['index', 'data']),
	);
	const leave = b.shared.leaveFlag;
	if (leave && !b.isLoopCallback) b.line(`${leave} = 0;`);
	b.line(`${haveCursor} = 0;`);
	b.line(`bpf_loop(MAXACTION + 1, ${roundName}, NULL, 0);`);
	afterKernelLoop(b, leave);
}
