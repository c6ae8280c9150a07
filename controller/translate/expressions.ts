// Expressions: each one becomes a C rvalue (tap_long, or a char pointer for
// strings), with whatever statements it needs emitted before it. Evaluation
// order is the script's: an operand whose value a later operand's
// statements could change is saved in a temporary first.
import { assignProcfsValue } from './procfs.js';
import type { Assign, Binary, Crement, Expr, GlobalVar, IndexRef, Logical, TargetVar, Ternary, VarRef } from '../elaborate/program.js';
import { checkOverflow, fillKey, forEachInSlice, histBucket, readAggregate, readElement, writeElement } from './arrays.js';
import type { Body } from './body.js';
import { genCall, inBuffer } from './calls.js';
import { cLong } from './c-text.js';
import { TranslateError } from './module-context.js';
import { genPrint } from './printing.js';
import { genMember } from './member.js';

const SIMPLE = /^(-?\d+LL|str_\d+|[A-Za-z_][A-Za-z0-9_]*|\(-9223372036854775807LL - 1\))$/;

/** Saves a long rvalue in a temporary unless it is a constant or a plain name. */
export function stable(b: Body, v: string): string {
	if (/^(-?\d+LL|\(-9223372036854775807LL - 1\))$/.test(v)) return v;
	const t = b.longTemp();
	b.line(`${t} = ${v};`);
	return t;
}

/** Runs `emit`, and if it produced statements, saves `before` (already computed) ahead of them. */
function guardOrder(b: Body, before: string, isString: boolean, emit: () => string): [string, string] {
	const mark = b.lines.length;
	const after = emit();
	if (b.lines.length === mark || SIMPLE.test(before) && /^(-?\d+LL|str_\d+)$/.test(before)) return [before, after];
	const depth = b.lines[mark]!.depth;
	if (isString) {
		const s = b.strTemp();
		b.lines.splice(mark, 0, { depth, text: `tap_str_copy(${s}, ${before});` });
		return [s, after];
	}
	const t = b.longTemp();
	b.lines.splice(mark, 0, { depth, text: `${t} = ${before};` });
	return [t, after];
}

/**
 * A string in a MAXSTRINGLEN-byte buffer of the locals struct or of the
 * globals (not a literal, nor a parameter's pointer to anything).
 */
const WHOLE_BUFFER = /^(?:l|G)->\w+$/;

/**
 * The bpf kernel side compares two such buffers in a bpf_loop() (verified
 * once, tap_kernel.h); anything else (a literal: the verifier follows its
 * known bytes) in a loop of its own.
 */
function stringCompare(b: Body, l: string, r: string): string {
	const buffers = b.side === 'kernel' && !b.mod.bothSides && WHOLE_BUFFER.test(l) && WHOLE_BUFFER.test(r);
	return buffers ? 'tap_str_cmp_buffers' : 'tap_str_cmp';
}

export function genExpr(b: Body, e: Expr): string {
	switch (e.kind) {
		case 'number':
			return cLong(e.value);
		case 'string':
			return b.mod.stringLiteral(e.value);
		case 'var':
			return readVar(b, e);
		case 'index':
			return readElement(b, e, genExpr);
		case 'binary':
			return genBinary(b, e);
		case 'logical':
			return genLogical(b, e);
		case 'comparison': {
			const [l, r] = guardOrder(b, genExpr(b, e.left), e.left.type === 'string', () => genExpr(b, e.right));
			if (e.left.type === 'string') return `((tap_long)(${stringCompare(b, l, r)}(${l}, ${r}) ${e.op} 0))`;
			return `((tap_long)(${l} ${e.op} ${r}))`;
		}
		case 'concat': {
			const [l, r] = guardOrder(b, genExpr(b, e.left), true, () => genExpr(b, e.right));
			const s = b.strTemp();
			b.line(`tap_str_copy(${s}, ${l});`);
			b.line(`tap_str_append(${s}, ${r});`);
			return s;
		}
		case 'unary': {
			const v = genExpr(b, e.operand);
			switch (e.op) {
				case '-': return `((tap_long)((__u64)0 - (__u64)(${v})))`;
				case '!': return `((tap_long)!(${v}))`;
				case '~': return `(~(${v}))`;
				default: return v;
			}
		}
		case 'crement':
			return genCrement(b, e);
		case 'ternary':
			return genTernary(b, e);
		case 'assign':
			return genAssign(b, e);
		case 'in': {
			if (e.keys.some((k) => k === null)) {
				const found = b.longTemp();
				b.line(`${found} = 0;`);
				forEachInSlice(b, e.array, e.keys, genExpr, (body, _key, stop) => {
					body.line(`${found} = 1;`);
					body.line(stop);
				});
				return found;
			}
			const key = fillKey(b, e.array, e.keys as Expr[], genExpr, 'read');
			return `((tap_long)TAP_MAP_EXISTS(${b.mod.global(e.array)}, ${key}))`;
		}
		case 'call':
			return genCall(b, e, genExpr);
		case 'print':
			return genPrint(b, e, genExpr);
		case 'stat':
			return genStat(b, e);
		case 'embedded_expr':
			return embeddedExpr(b, e);
		case 'regex': {
			// the matcher walks up to MAXSTRINGLEN bytes: on the bpf kernel side, of a buffer that long
			const s = genExpr(b, e.left);
			const subject = b.side === 'kernel' && !b.mod.bothSides ? inBuffer(b, s) : s;
			return `(${e.negated ? '!' : ''}${b.mod.regex(e.pattern, e.tok)}(${subject}))`;
		}
		case 'hist_bucket':
			return histBucket(b, e.hist, e.bucket, genExpr);
		case 'member':
			return genMember(b, e, genExpr);
		case 'hist':
			return b.unsupported(e.tok, 'a histogram here');
	}
}

/**
 * `%{ C %}` as an expression (guru mode) and `@const("NAME")`: pasted into
 * the kmod module, which compiles against the target's kernel headers (a
 * string one is copied out of what the C gives). A module that embeds C can
 * do anything in the kernel: its manifest says guru. BPF programs are
 * generated from the language only.
 */
function embeddedExpr(b: Body, e: Extract<Expr, { kind: 'embedded_expr' }>): string {
	if (!b.mod.bothSides) return b.unsupported(e.tok, 'embedded C');
	b.mod.guru = true;
	if (e.type !== 'string') return `((tap_long)(${e.code}))`;
	const s = b.strTemp();
	b.line(`tap_str_copy(${s}, (const char *)(${e.code}));`);
	return s;
}

function readVar(b: Body, e: VarRef): string {
	const v = e.variable;
	switch (v.kind) {
		case 'global':
			if (v.type === 'stats') throw new TranslateError(e.tok, `statistic ${v.name} used as a value`);
			return `${b.globals()}->${b.mod.global(v)}`;
		case 'local':
		case 'param':
			return b.varName(v, e.tok);
		case 'target':
			return b.targetReader?.(b, v, e.tok) ?? b.varName(v, e.tok);
	}
}

const BINARY_C: Record<string, string> = { '+': '+', '-': '-', '*': '*', '&': '&', '|': '|', '^': '^' };

/** `l op r` for longs with stap's semantics (64-bit wraparound, shifts masked, division checked). */
export function binaryOp(b: Body, op: string, l: string, r: string, tok: Expr['tok']): string {
	if (BINARY_C[op]) {
		if (op === '&' || op === '|' || op === '^') return `(${l} ${op} ${r})`;
		return `((tap_long)((__u64)(${l}) ${op} (__u64)(${r})))`;
	}
	switch (op) {
		case '<<': return `((tap_long)((__u64)(${l}) << ((${r}) & 63)))`;
		case '>>': return `((${l}) >> ((${r}) & 63))`;
		case '>>>': return `((tap_long)((__u64)(${l}) >> ((${r}) & 63)))`;
		case '/':
		case '%': {
			const rs = stable(b, r);
			b.raiseIf(`${rs} == 0`, 'TAP_E_DIV0', tok);
			return `${op === '/' ? 'tap_div64' : 'tap_mod64'}(${l}, ${rs})`;
		}
	}
	throw new TranslateError(tok, `internal: unknown operator ${op}`);
}

/** The value of a constant long expression (literals under unary minus/~), else null. */
function constantOf(e: Expr): bigint | null {
	if (e.kind === 'number') return e.value;
	if (e.kind === 'unary' && (e.op === '-' || e.op === '~' || e.op === '+')) {
		const v = constantOf(e.operand);
		if (v === null) return null;
		return BigInt.asIntN(64, e.op === '-' ? -v : e.op === '~' ? ~v : v);
	}
	return null;
}

function genBinary(b: Body, e: Binary): string {
	// stap's constant folding: a shift by a constant count <= 0 is its left operand
	if ((e.op === '<<' || e.op === '>>') && (constantOf(e.right) ?? 1n) <= 0n) return genExpr(b, e.left);
	const [l, r] = guardOrder(b, genExpr(b, e.left), false, () => genExpr(b, e.right));
	const ls = e.op === '/' || e.op === '%' ? stable(b, l) : l;
	return binaryOp(b, e.op, ls, r, e.tok);
}

function genLogical(b: Body, e: Logical): string {
	const l = genExpr(b, e.left);
	const mark = b.lines.length;
	const r = genExpr(b, e.right);
	if (b.lines.length === mark) return `((tap_long)((${l}) ${e.op} (${r})))`;
	const prep = b.lines.splice(mark);
	const t = b.longTemp();
	b.line(`${t} = (${l}) != 0;`);
	b.open(e.op === '&&' ? `if (${t}) {` : `if (!${t}) {`);
	const shift = b.depth - (prep[0]?.depth ?? b.depth);
	for (const p of prep) b.lines.push({ depth: p.depth + shift, text: p.text });
	b.line(`${t} = (${r}) != 0;`);
	b.close();
	return t;
}

function genTernary(b: Body, e: Ternary): string {
	const cond = genExpr(b, e.cond);
	const str = e.type === 'string';
	const t = str ? b.strTemp() : b.longTemp();
	const set = (v: string) => b.line(str ? `tap_str_copy(${t}, ${v});` : `${t} = ${v};`);
	b.open(`if (${cond}) {`);
	set(genExpr(b, e.then));
	b.close('} else {');
	b.depth++;
	set(genExpr(b, e.otherwise));
	b.close();
	return t;
}

/** The lvalue of a scalar variable (global, local, parameter). */
function scalarLvalue(b: Body, ref: VarRef): string {
	const v = ref.variable;
	if (v.kind === 'target') throw new TranslateError(ref.tok, `target variable ${v.name} cannot be assigned`);
	if (v.kind === 'global') return `${b.globals()}->${b.mod.global(v)}`;
	return b.varName(v, ref.tok);
}

/**
 * A target variable written (guru mode) through the runtime's writer,
 * which also keeps the handler's copy current for later reads; the value
 * written.
 */
function writeTarget(b: Body, ref: VarRef, value: string): string {
	const v = ref.variable as TargetVar;
	if (!b.targetWriter) {
		throw new TranslateError(ref.tok, `writing ${v.name} needs the kmod runtime: a BPF program cannot change the probed code's registers or the kernel's memory`);
	}
	const nv = stable(b, value);
	b.targetWriter(b, v, nv, ref.tok);
	return nv;
}

function genCrement(b: Body, e: Crement): string {
	const delta = e.op === '++' ? '1' : '-1';
	if (e.target.kind === 'var' && e.target.variable.kind === 'target') {
		const old = b.longTemp();
		b.line(`${old} = ${readVar(b, e.target)};`);
		const nv = writeTarget(b, e.target, `(tap_long)((__u64)${old} + (__u64)${delta})`);
		return e.prefix ? nv : old;
	}
	if (e.target.kind === 'var') {
		const lv = scalarLvalue(b, e.target);
		const t = b.longTemp();
		if (e.prefix) b.line(`${t} = ${lv} = (tap_long)((__u64)${lv} + (__u64)${delta});`);
		else {
			b.line(`${t} = ${lv};`);
			b.line(`${lv} = (tap_long)((__u64)${t} + (__u64)${delta});`);
		}
		return t;
	}
	const key = fillKey(b, e.target.array, e.target.keys, genExpr);
	return elementAdd(b, e.target, key, delta, e.prefix ? null : delta);
}

/** a[k] += delta (atomic on the kernel side); returns the new value, or the old one when `undo` is given. */
function elementAdd(b: Body, ref: IndexRef, key: string, delta: string, undo: string | null): string {
	const g: GlobalVar = ref.array;
	const res = b.field('tap_long', 'e');
	checkOverflow(b, g, `TAP_MAP_ADD(${b.mod.global(g)}, ${key}, ${delta}, &${res})`, ref.tok);
	return undo === null ? res : `((tap_long)((__u64)${res} - (__u64)(${undo})))`;
}

function genAssign(b: Body, e: Assign): string {
	const t = e.target;
	if (e.op === '<<<') {
		if (t.kind === 'index' ? t.array.type !== 'stats' : t.variable.kind !== 'global') throw new TranslateError(e.tok, 'internal: <<< on a non-statistic');
		const g = t.kind === 'index' ? t.array : (t.variable as GlobalVar);
		const key = fillKey(b, g, t.kind === 'index' ? t.keys : [], genExpr);
		const v = stable(b, genExpr(b, e.value));
		checkOverflow(b, g, `TAP_STAT_ADD(${b.mod.global(g)}, ${key}, ${v})`, t.tok);
		return v;
	}
	const str = e.target.type === 'string';
	if (t.kind === 'var' && t.variable.kind === 'target' && t.variable.source.kind === 'procfs_value') {
		return assignProcfsValue(e.op, genExpr(b, e.value));
	}
	if (t.kind === 'var' && t.variable.kind === 'target') {
		const v = genExpr(b, e.value);
		return writeTarget(b, t, e.op === '=' ? v : binaryOp(b, e.op.slice(0, -1), readVar(b, t), stable(b, v), e.tok));
	}
	if (t.kind === 'var') {
		const lv = scalarLvalue(b, t);
		const v = genExpr(b, e.value);
		if (str) {
			b.line(e.op === '.=' ? `tap_str_append(${lv}, ${v});` : `tap_str_copy(${lv}, ${v});`);
			return lv;
		}
		if (e.op === '=') b.line(`${lv} = ${v};`);
		else b.line(`${lv} = ${binaryOp(b, e.op.slice(0, -1), lv, stable(b, v), e.tok)};`);
		return lv;
	}
	// array element: index first, then the value (stap's order)
	const g = t.array;
	const m = b.mod.global(g);
	const key = fillKey(b, g, t.keys, genExpr);
	const v = genExpr(b, e.value);
	if (str) {
		if (e.op === '.=') {
			const s = b.strTemp();
			b.line(`TAP_MAP_GET(${m}, ${key}, &${s});`);
			b.line(`tap_str_append(${s}, ${v});`);
			writeElement(b, t, key, s);
			return s;
		}
		const s = b.strTemp();
		b.line(`tap_str_copy(${s}, ${v});`);
		writeElement(b, t, key, s);
		return s;
	}
	let nv: string;
	if (e.op === '+=' || e.op === '-=') {
		const d = stable(b, v);
		return elementAdd(b, t, key, e.op === '+=' ? d : `((tap_long)((__u64)0 - (__u64)${d}))`, null);
	}
	if (e.op === '=') nv = stable(b, v);
	else {
		const old = b.field('tap_long', 'e');
		b.line(`TAP_MAP_GET(${m}, ${key}, &${old});`);
		nv = stable(b, binaryOp(b, e.op.slice(0, -1), old, stable(b, v), e.tok));
	}
	writeElement(b, t, key, nv);
	return nv;
}

function genStat(b: Body, e: Extract<Expr, { kind: 'stat' }>): string {
	const s = readAggregate(b, e.stat, genExpr);
	switch (e.aggregate) {
		case 'count': return `((tap_long)${s}->count)`;
		case 'sum': return `((tap_long)${s}->sum)`;
		default:
			b.raiseIf(`${s}->count == 0`, 'TAP_E_EMPTY_AGG', e.tok);
			if (e.aggregate === 'avg') return `((tap_long)tap_stat_avg(${s}))`;
			return `((tap_long)${s}->${e.aggregate})`;
	}
}
