// Statements: control flow as C with labels (stap's model: an error jumps
// to the handler's `out:` or to the enclosing catch block; MAXACTION is
// charged per block and per loop iteration and is never caught).
import type { Block, Expr, ForeachStmt, GlobalVar, HistExpr, Stmt } from '../elaborate/program.js';
import { fillKey, forEachInSlice, histStat, readAggregate, sliceMatch, sliceValues, valueType } from './arrays.js';
import type { Body } from './body.js';
import { genExpr, stable } from './expressions.js';
import { genKernelSortedForeach } from './kernel-sorted-foreach.js';
import { TranslateError } from './module-context.js';
import type { Token } from '../parse/token.js';

/** Labels that may go unused (a try body that cannot fail) must not warn under -Werror. */
export function labelLine(b: Body, name: string): void {
	b.lines.push({ depth: Math.max(0, b.depth - 1), text: `${name}: __attribute__((unused));` });
}

export function charge(b: Body, n: number, tok: Token): void {
	b.line(`if (TAP_ACTIONS_EXCEEDED(c, ${n}, ${b.mod.location(tok)}))`);
	b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
}

export function genBlock(b: Body, block: Block): void {
	if (block.statements.length > 0) charge(b, block.statements.length, block.statements[0]!.tok);
	for (const s of block.statements) genStmt(b, s);
}

/** A loop body or branch: blocks inline, single statements charged like a block of one. */
export function genNested(b: Body, s: Stmt): void {
	if (s.kind === 'block') genBlock(b, s);
	else {
		charge(b, 1, s.tok);
		genStmt(b, s);
	}
}

export function genStmt(b: Body, s: Stmt): void {
	// the statement's string temporaries serve the statements after it again
	const mark = b.tempMark();
	genStmtKind(b, s);
	b.releaseTemps(mark);
}

function genStmtKind(b: Body, s: Stmt): void {
	switch (s.kind) {
		case 'block':
			b.open('{');
			genBlock(b, s);
			b.close();
			return;
		case 'null':
			return;
		case 'expr': {
			const v = genExpr(b, s.expr);
			if (v !== '0' && !/^[A-Za-z_][\w>-]*$/.test(v) && !/^-?\d+LL$/.test(v)) b.line(`(void)(${v});`);
			return;
		}
		case 'if': {
			const cond = genExpr(b, s.cond);
			b.open(`if (${cond}) {`);
			genNested(b, s.then);
			if (s.otherwise) {
				b.close('} else {');
				b.depth++;
				genNested(b, s.otherwise);
			}
			b.close();
			return;
		}
		case 'for': {
			if (s.init) genStmt(b, { kind: 'expr', expr: s.init, tok: s.tok });
			if (b.side === 'kernel') return genKernelLoop(b, s);
			const brk = b.label('brk');
			const cont = b.label('cont');
			b.open('for (;;) {');
			const cond = genExpr(b, s.cond);
			b.line(`if (!(${cond}))`);
			b.lines.push({ depth: b.depth + 1, text: `goto ${brk};` });
			b.loops.push({ brk, cont });
			charge(b, 1, s.tok);
			genNested(b, s.body);
			b.loops.pop();
			labelLine(b, cont);
			if (s.incr) genStmt(b, { kind: 'expr', expr: s.incr, tok: s.tok });
			b.close();
			labelLine(b, brk);
			b.line(';');
			return;
		}
		case 'foreach':
			return genForeach(b, s);
		case 'return': {
			if (!b.isFunction) throw new TranslateError(s.tok, 'return outside a function');
			if (b.isLoopCallback) {
				// only the loop can be stopped here: the function returns after it
				if (s.value) {
					const v = genExpr(b, s.value);
					const string = s.value.type === 'string';
					const slot = b.shared.returnSlot ??= { field: b.field(string ? 'tap_string' : 'tap_long', 'rv'), string };
					b.line(string ? `tap_str_copy(${slot.field}, ${v});` : `${slot.field} = ${v};`);
				}
				leaveLoop(b, 2);
				return;
			}
			if (s.value) {
				const v = genExpr(b, s.value);
				b.line(s.value.type === 'string' ? `tap_str_copy(ret, ${v});` : `*ret = ${v};`);
			}
			b.line('goto done;');
			return;
		}
		case 'delete':
			return genDelete(b, s);
		case 'next':
			if (b.isLoopCallback) leaveLoop(b, 1);
			else b.line('goto out;');
			return;
		case 'break':
		case 'continue': {
			const loop = b.loops[b.loops.length - 1];
			if (!loop) throw new TranslateError(s.tok, `${s.kind} outside a loop`);
			b.line(`goto ${s.kind === 'break' ? loop.brk : loop.cont};`);
			return;
		}
		case 'try': {
			const catchLabel = b.label('catch');
			const end = b.label('endtry');
			const saved = b.errTarget;
			b.errTarget = catchLabel;
			b.open('{');
			genBlock(b, s.body);
			b.close();
			b.errTarget = saved;
			b.line(`goto ${end};`);
			labelLine(b, catchLabel);
			b.open('{');
			if (s.errorVar) {
				const v = b.vars.get(s.errorVar) ?? b.declareVar(s.errorVar, false);
				b.line(`tap_error_message(c, ${v});`);
			}
			b.line('c->last_error = TAP_E_NONE;');
			b.line('c->last_loc = TAP_NO_LOC;');
			genBlock(b, s.handler);
			b.close();
			labelLine(b, end);
			b.line(';');
			return;
		}
		case 'embedded':
			return b.unsupported(s.tok, 'embedded C');
	}
}

function genDelete(b: Body, s: Extract<Stmt, { kind: 'delete' }>): void {
	const t = s.target;
	if (t.kind === 'array') {
		// kernel side: a bpf_for_each_map_elem() that deletes as it walks (tap_kernel.h)
		b.line(`TAP_MAP_CLEAR(${b.mod.global(t.array)});`);
		return;
	}
	if (t.kind === 'index') {
		const keys = t.keys as readonly (Expr | null)[];
		if (keys.some((k) => k === null)) {
			forEachInSlice(b, t.array, keys, genExpr, (body, key) => body.line(`TAP_MAP_DELETE(${b.mod.global(t.array)}, &${key});`));
			return;
		}
		const key = fillKey(b, t.array, t.keys, genExpr, 'read');
		b.line(`TAP_MAP_DELETE(${b.mod.global(t.array)}, ${key});`);
		return;
	}
	const v = t.variable;
	if (v.kind === 'target') throw new TranslateError(s.tok, 'cannot delete a target variable');
	if (v.kind === 'global' && b.mod.isArrayLike(v)) {
		b.line(`TAP_MAP_CLEAR(${b.mod.global(v)});`);
		return;
	}
	const lv = v.kind === 'global' ? `${b.globals()}->${b.mod.global(v)}` : b.varName(v, s.tok);
	b.line(v.type === 'string' ? `${lv}[0] = '\\0';` : `${lv} = 0;`);
}

/** Compares column i of two keys (a string column within its member's size: they are 16 or MAP_STRING_LENGTH bytes). */
function keyColumnCmp(keyT: string, type: string, i: number): string {
	const a = `((const ${keyT} *)ka)->k${i}`;
	const b = `((const ${keyT} *)kb)->k${i}`;
	return type === 'string' ? `tap_str_ncmp(${a}, ${b}, sizeof(${a}))` : `tap_cmp_long(${a}, ${b})`;
}

/**
 * The C text of a sorted foreach's comparator over (key, value) pairs passed
 * by pointer: the sort column in the asked direction, ties by the keys
 * ascending (deterministic, as stap's sort of a hash-ordered map is not).
 * `valueCmp` compares the values (va, vb); `head` is the function's
 * qualifiers and name, `m` the array's C name.
 */
export function comparatorText(head: string, s: ForeachStmt, g: GlobalVar, m: string, valueCmp: string): string {
	const keyT = `struct ${m}_key`;
	const first = s.sortColumn === 0 ? valueCmp : keyColumnCmp(keyT, g.keys![s.sortColumn - 1]!, s.sortColumn - 1);
	const ties = g.keys!.map((t, i) => keyColumnCmp(keyT, t, i));
	return [
		`${head}(const void *ka, const void *va, const void *kb, const void *vb)`,
		'{',
		`\tint r = ${s.sortDirection < 0 ? '-' : ''}${first};`,
		'',
		'\t(void)va;',
		'\t(void)vb;',
		...ties.map((t) => `\tif (!r)\n\t\tr = ${t};`),
		'\treturn r;',
		'}',
	].join('\n');
}

/** The comparator of a user-side sorted foreach, as a file-level C function; returns its name. */
function comparator(b: Body, s: ForeachStmt, g: GlobalVar): string {
	// numbered within the module (helpers holds one per comparator): the same script gives the same C in any process
	const name = `cmp_${b.name}_${b.mod.helpers.length}`;
	let value = '0';
	if (s.sortDirection !== 0 && s.sortColumn === 0) {
		if (g.type === 'stats') {
			const agg = s.sortAggregate ?? 'count';
			const field = (v: string) => (agg === 'avg' ? `tap_stat_avg((const struct tap_stat_data *)${v})` : `((const struct tap_stat_data *)${v})->${agg}`);
			value = `tap_cmp_long(${field('va')}, ${field('vb')})`;
		} else if (g.type === 'string') value = 'tap_str_cmp((const char *)va, (const char *)vb)';
		else value = 'tap_cmp_long(*(const tap_long *)va, *(const tap_long *)vb)';
	}
	b.mod.helpers.push(comparatorText(`static int ${name}`, s.sortDirection === 0 ? { ...s, sortColumn: 0 } : s, g, b.mod.global(g), value));
	return name;
}

function genForeach(b: Body, s: ForeachStmt): void {
	if (b.side === 'kernel') return genKernelForeach(b, s);
	if (s.array.kind === 'hist') return genForeachBucket(b, s, s.array);
	const g = s.array as GlobalVar;
	if (!g.keys) throw new TranslateError(s.tok, `${g.name} is not an array`);
	const m = b.mod.global(g);
	const sliced = s.slice.some((x) => x !== null);
	const slice = sliced ? sliceValues(b, s.slice, genExpr) : [];
	let limit = s.limit ? stable(b, genExpr(b, s.limit)) : '0';
	// a sliced foreach limits the matching elements: count them here
	let remaining: string | null = null;
	if (sliced && limit !== '0') {
		remaining = b.longTemp();
		b.line(`${remaining} = ${limit};`);
		limit = '0';
	}
	const cmp = comparator(b, s, g);
	const it = b.field('struct tap_iter', 'it');
	const key = b.field(`struct ${m}_key`, 'k');
	const val = b.field(valueType(b, g), 'val');
	const brk = b.label('brk');
	const cont = b.label('cont');
	b.open(`if (!tap_foreach_begin(&${it}, &${m}, ${cmp}, ${limit})) {`);
	b.open(`while (tap_foreach_next(&${it}, &${key}, &${val})) {`);
	if (sliced) {
		b.line(`if (!(${sliceMatch(g, key, slice)}))`);
		b.lines.push({ depth: b.depth + 1, text: 'continue;' });
		if (remaining) {
			b.line(`if (${remaining}-- <= 0)`);
			b.lines.push({ depth: b.depth + 1, text: 'break;' });
		}
	}
	charge(b, 1, s.tok);
	bindForeachVars(b, s, g, key, val);
	b.loops.push({ brk, cont });
	genNested(b, s.body);
	b.loops.pop();
	labelLine(b, cont);
	b.line(';');
	b.close();
	labelLine(b, brk);
	b.line(`tap_foreach_end(&${it});`);
	b.close();
}

/** A foreach's variables from the element at hand: its keys (`key`.kI) and its value (`value`). */
export function bindForeachVars(b: Body, s: ForeachStmt, g: GlobalVar, key: string, value: string): void {
	s.keyVars.forEach((v, i) => {
		const c = b.vars.get(v) ?? b.declareVar(v, false);
		b.line(v.type === 'string' ? `tap_str_copy(${c}, ${key}.k${i});` : `${c} = ${key}.k${i};`);
	});
	if (!s.valueVar) return;
	if (g.type === 'stats') b.unsupported(s.tok, 'a value variable over a statistics array');
	const c = b.vars.get(s.valueVar) ?? b.declareVar(s.valueVar, false);
	b.line(g.type === 'string' ? `tap_str_copy(${c}, ${value});` : `${c} = ${value};`);
}

/** The limit of a kernel-side foreach, evaluated before its first element (stap evaluates it once). */
function kernelLimit(b: Body, s: ForeachStmt): string | null {
	if (!s.limit) return null;
	const remaining = b.longTemp();
	b.line(`${remaining} = ${genExpr(b, s.limit)};`);
	return remaining;
}

/**
 * foreach in a kernel-side handler: the body becomes a
 * bpf_for_each_map_elem() callback (verified once), in the map's own order,
 * as stap's unsorted foreach (the user side goes by the keys, ascending);
 * a sorted one takes its elements by selection (kernel-sorted-foreach.ts). The keys (and the value) are copied into the
 * loop's variables in the locals struct; `limit`, a slice, break, continue,
 * next, return, errors and MAXACTION work as in a kernel-side loop.
 */
function genKernelForeach(b: Body, s: ForeachStmt): void {
	if (s.array.kind === 'hist') b.unsupported(s.tok, 'foreach over a histogram\'s buckets');
	const g = s.array as GlobalVar;
	if (!g.keys) throw new TranslateError(s.tok, `${g.name} is not an array`);
	const m = b.mod.global(g);
	const slice = s.slice.some((x) => x !== null) ? sliceValues(b, s.slice, genExpr) : [];
	const remaining = kernelLimit(b, s);
	if (s.sortDirection !== 0) return genKernelSortedForeach(b, s, g, slice, remaining);
	const name = `${b.shared.localsName}_each_${b.label('')}`;
	const cb = b.child(name);
	if (slice.length) {
		cb.line(`if (!(${sliceMatch(g, '(*k)', slice)}))`);
		cb.lines.push({ depth: cb.depth + 1, text: 'return 0;' });
	}
	if (remaining) {
		cb.line(`if (${remaining}-- <= 0)`);
		cb.lines.push({ depth: cb.depth + 1, text: 'return 1;' });
	}
	charge(cb, 1, s.tok);
	bindForeachVars(cb, s, g, '(*k)', g.type === 'string' ? '(const char *)v' : '(*(const tap_long *)v)');
	cb.loops.push({ brk: 'brk', cont: 'cont' });
	genNested(cb, s.body);
	endLoopCallback(cb);
	b.shared.callbacks.push(() => cb.callbackFunction(`static long ${name}(void *map, struct ${m}_key *k, void *v, void *data)`, ['map', 'k', 'v', 'data']));
	const leave = b.shared.leaveFlag;
	if (leave && !b.isLoopCallback) b.line(`${leave} = 0;`);
	b.line(`TAP_FOREACH_KERNEL(${m}, ${name});`);
	afterKernelLoop(b, leave);
}

/** The end of a kernel-side loop callback's body: go on (continue), or stop (break, an error, MAXACTION). */
export function endLoopCallback(cb: Body): void {
	labelLine(cb, 'cont');
	cb.line('return 0;');
	labelLine(cb, 'brk');
	cb.line('return 1;');
	labelLine(cb, 'out');
	cb.line('return 1;');
}

/** After a kernel-side loop: MAXACTION leaves the handler, an error goes to its target, a `next` or `return` inside goes on leaving. */
export function afterKernelLoop(b: Body, leave: string | undefined): void {
	b.line('if (c->last_error == TAP_E_MAXACTION)');
	b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
	b.line('if (c->last_error)');
	b.lines.push({ depth: b.depth + 1, text: `goto ${b.errTarget};` });
	if (leave) continueLeaving(b, leave);
}

/**
 * A loop in a kernel-side handler: its condition, body and increment become
 * a bpf_loop() callback, so the verifier checks the body once whatever the
 * trip count; MAXACTION ends any loop within MAXACTION + 1 rounds. The
 * callback returns 1 to stop (condition false, break, error) and the
 * handler then looks at c->last_error.
 */
function genKernelLoop(b: Body, s: Extract<Stmt, { kind: 'for' }>): void {
	const name = `${b.shared.localsName}_loop_${b.label('')}`;
	const cb = b.child(name);
	const cond = genExpr(cb, s.cond);
	cb.line(`if (!(${cond}))`);
	cb.lines.push({ depth: cb.depth + 1, text: 'return 1;' });
	cb.loops.push({ brk: 'brk', cont: 'cont' });
	charge(cb, 1, s.tok);
	genNested(cb, s.body);
	labelLine(cb, 'cont');
	if (s.incr) genStmt(cb, { kind: 'expr', expr: s.incr, tok: s.tok });
	cb.line('return 0;');
	labelLine(cb, 'brk');
	cb.line('return 1;');
	labelLine(cb, 'out');
	cb.line('return 1;');
	b.shared.callbacks.push(() => cb.callbackFunction(`static long ${name}(__u64 index, void *data)`, ['index', 'data']));
	const leave = b.shared.leaveFlag;
	if (leave && !b.isLoopCallback) b.line(`${leave} = 0;`);
	b.line(`bpf_loop(MAXACTION + 1, ${name}, NULL, 0);`);
	afterKernelLoop(b, leave);
}

/** `next` (1) or `return` (2) inside a loop callback: flag it and stop the loop. */
function leaveLoop(b: Body, how: 1 | 2): void {
	const flag = b.shared.leaveFlag ??= b.field('tap_long', 'leave');
	b.line(`${flag} = ${how};`);
	b.line('return 1;');
}

/** After a loop whose body may have left: on out of the enclosing callback, or out of the handler or function. */
function continueLeaving(b: Body, flag: string): void {
	if (b.isLoopCallback) {
		b.line(`if (${flag})`);
		b.lines.push({ depth: b.depth + 1, text: 'return 1;' });
		return;
	}
	const slot = b.shared.returnSlot;
	if (b.isFunction) {
		b.open(`if (${flag} == 2) {`);
		if (slot) b.line(slot.string ? `tap_str_copy(ret, ${slot.field});` : `*ret = ${slot.field};`);
		b.line('goto done;');
		b.close();
	}
	b.line(`if (${flag})`);
	b.lines.push({ depth: b.depth + 1, text: 'goto out;' });
}

/** foreach (i in @hist_log(s)): every bucket index of the histogram, in order. */
function genForeachBucket(b: Body, s: ForeachStmt, h: HistExpr): void {
	const g = histStat(h);
	const agg = readAggregate(b, h.stat, genExpr);
	const i = b.longTemp();
	const brk = b.label('brk');
	const cont = b.label('cont');
	const v = s.keyVars[0];
	if (!v) throw new TranslateError(s.tok, 'internal: foreach over buckets without a variable');
	const c = b.vars.get(v) ?? b.declareVar(v, false);
	b.open(`for (${i} = 0; ${i} < ${b.mod.global(g)}_desc.buckets; ${i}++) {`);
	charge(b, 1, s.tok);
	b.line(`${c} = ${i};`);
	if (s.valueVar) {
		const val = b.vars.get(s.valueVar) ?? b.declareVar(s.valueVar, false);
		b.line(`${val} = ${agg}->hist[${i}];`);
	}
	b.loops.push({ brk, cont });
	genNested(b, s.body);
	b.loops.pop();
	labelLine(b, cont);
	b.line(';');
	b.close();
	labelLine(b, brk);
	b.line(';');
}
