// Expressions, with stap's precedence and associativity (lowest first):
//   assignment (right) < ?: < || < && < | < ^ < & < in < comparison, =~
//   < << >> >>> < . < + - < * / % < unary < ++/-- < target suffixes < values
// The left-associative binary levels are parsed by precedence climbing (one
// loop for several levels), which builds the same trees as stap's one
// function per level with far less recursion.
import type { ArrayIndex, Expression, HistOp, LiteralString, SymbolRef, TargetSymbolLike } from './ast.js';
import { ParseError } from './diagnostics.js';
import type { Parser } from './parser.js';
import { parseSymbol } from './symbols.js';
import { consumeStringLiterals, parseLiteral, parseLiteralString } from './statements.js';
import { parseTargetSymbolComponents, peekTargetSymbolComponents } from './target-symbols.js';
import { isOp, type Token } from './token.js';

const ASSIGNMENT_OPS = new Set(['=', '<<<', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=', '.=']);

type BinaryKind = 'logical_or' | 'logical_and' | 'binary' | 'comparison' | 'concatenation';

/** Levels above `in`: operator -> [level, node kind]. */
const UPPER_LEVELS = new Map<string, [number, BinaryKind]>([
	['||', [0, 'logical_or']], ['&&', [1, 'logical_and']], ['|', [2, 'binary']], ['^', [3, 'binary']], ['&', [4, 'binary']],
]);
/** Levels between comparison and unary. */
const LOWER_LEVELS = new Map<string, [number, BinaryKind]>([
	['<<', [0, 'binary']], ['>>', [0, 'binary']], ['>>>', [0, 'binary']], ['.', [1, 'concatenation']],
	['+', [2, 'binary']], ['-', [2, 'binary']], ['*', [3, 'binary']], ['/', [3, 'binary']], ['%', [3, 'binary']],
]);
const COMPARISON_OPS = new Set(['>', '<', '==', '!=', '<=', '>=']);

export function parseExpression(p: Parser): Expression {
	p.enter();
	try {
		return parseAssignment(p);
	} finally {
		p.leave();
	}
}

function parseAssignment(p: Parser): Expression {
	const left = parseTernary(p);
	const t = p.peek();
	if (t && t.type === 'operator' && ASSIGNMENT_OPS.has(t.content)) {
		p.next();
		return { kind: 'assignment', tok: t, op: t.content, left, right: parseExpression(p) };
	}
	return left;
}

function parseTernary(p: Parser): Expression {
	const cond = climb(p, UPPER_LEVELS, 0, parseArrayIn);
	const t = p.peek();
	if (!isOp(t, '?')) return cond;
	p.next();
	const truevalue = parseExpression(p);
	const colon = p.next();
	if (!isOp(colon, ':')) throw new ParseError("expected ':'");
	p.swallow();
	p.enter();
	try {
		const falsevalue = p.lexer.hasVersion('4.0') ? parseTernary(p) : parseExpression(p);
		return { kind: 'ternary', tok: t!, cond, truevalue, falsevalue };
	} finally {
		p.leave();
	}
}

/** Left-associative binary levels from `minLevel` up, over `operand`. */
function climb(p: Parser, levels: Map<string, [number, BinaryKind]>, minLevel: number, operand: (p: Parser) => Expression): Expression {
	let left = operand(p);
	for (;;) {
		const t = p.peek();
		if (!t || t.type !== 'operator') return left;
		const level = levels.get(t.content);
		if (!level || level[0] < minLevel) return left;
		p.next();
		const right = climb(p, levels, level[0] + 1, operand);
		left = { kind: level[1], tok: t, op: t.content, left, right } as Expression;
	}
}

function parseArrayIn(p: Parser): Expression {
	// All legal: "a in b", "a+0 in b", "[a,b] in c", "[c,(d+0)] in b", "[*, x] in c".
	let indexes: (Expression | null)[];
	if (p.peekOp('[')) {
		p.swallow();
		const mark = p.listOpen();
		for (;;) {
			if (p.peekOp('*')) {
				p.swallow();
				p.listAdd(null);
			} else {
				p.listAdd(parseComparison(p));
			}
			if (!p.listContinues(']', 'array_in')) break;
		}
		indexes = p.listClose(mark);
	} else {
		// The common case: one operand, usually without 'in' (no list allocated).
		const only = parseComparison(p);
		const t = p.peek();
		if (!(t !== null && t.type === 'keyword' && t.content === 'in')) return only;
		indexes = [only];
	}
	const t = p.peek();
	if (t !== null && t.type === 'keyword' && t.content === 'in') {
		p.next();
		const base = parseIndexable(p);
		const operand: ArrayIndex = { kind: 'arrayindex', tok: base.tok, base, indexes };
		return { kind: 'array_in', tok: t, operand };
	}
	if (indexes.length === 1) return indexes[0]!; // a lone '[*]' cannot get here: it needs 'in'
	throw new ParseError('unexpected comma-separated expression list');
}

function parseComparison(p: Parser): Expression {
	let left = climb(p, LOWER_LEVELS, 0, parseUnary);
	let t = p.peek();
	if (t && t.type === 'operator' && (t.content === '=~' || t.content === '!~')) {
		p.next();
		const right: LiteralString = parseLiteralString(p);
		return { kind: 'regex_query', tok: t, op: t.content as '=~' | '!~', left, right };
	}
	while (t && t.type === 'operator' && COMPARISON_OPS.has(t.content)) {
		p.next();
		const right = climb(p, LOWER_LEVELS, 0, parseUnary);
		left = { kind: 'comparison', tok: t, op: t.content, left, right };
		t = p.peek();
	}
	return left;
}

function parseUnary(p: Parser): Expression {
	const t = p.peek();
	if (t && t.type === 'operator' && (t.content === '+' || t.content === '-' || t.content === '!' || t.content === '~')) {
		p.next();
		p.enter();
		try {
			return { kind: 'unary', tok: t, op: t.content, operand: parseUnary(p) };
		} finally {
			p.leave();
		}
	}
	return parseCrement(p);
}

function parseCrement(p: Parser): Expression {
	let t = p.peek();
	if (t && t.type === 'operator' && (t.content === '++' || t.content === '--')) {
		p.next();
		return { kind: 'pre_crement', tok: t, op: t.content, operand: parseDwarfValue(p) };
	}
	const operand = parseDwarfValue(p);
	t = p.peek();
	if (t && t.type === 'operator' && (t.content === '++' || t.content === '--')) {
		p.next();
		return { kind: 'post_crement', tok: t, op: t.content, operand };
	}
	return operand;
}

/** A value, possibly a target symbol with `->member`/`[index]` suffixes or a leading '&'. */
function parseDwarfValue(p: Parser): Expression {
	const addrtok: Token | null = p.peekOp('&') ? p.next() : null;
	const addressof = addrtok !== null;
	let expr: Expression;
	let tsym: TargetSymbolLike | null = null;
	const t = p.peek();
	if (t && t.type === 'identifier' && t.content.startsWith('$')) {
		p.next();
		expr = tsym = { kind: 'target_symbol', tok: t, name: t.content, addressof: false, components: [] };
	} else if (isOp(t, '@cast')) {
		expr = tsym = parseCastOp(p);
	} else if (isOp(t, '@var')) {
		expr = tsym = parseAtVarOp(p);
	} else if (addressof && !p.lexer.hasVersion('2.6')) {
		throw new ParseError('expected @cast, @var or $var');
	} else {
		expr = parseValue(p);
		if (addressof && isTargetSymbolLike(expr)) {
			tsym = expr;
			if (tsym.addressof) throw new ParseError('cannot take address more than once', addrtok);
		}
	}
	if (!tsym && (addressof || peekTargetSymbolComponents(p)) && p.lexer.hasVersion('2.6')) {
		expr = tsym = { kind: 'autocast_op', tok: addrtok ?? p.peek()!, operand: expr, addressof: false, components: [] };
	}
	if (tsym) {
		tsym.addressof = addressof;
		parseTargetSymbolComponents(p, tsym);
	}
	return expr;
}

function isTargetSymbolLike(e: Expression): e is TargetSymbolLike {
	return e.kind === 'target_symbol' || e.kind === 'cast_op' || e.kind === 'atvar_op' || e.kind === 'autocast_op';
}

function parseValue(p: Parser): Expression {
	const t = p.peek();
	if (!t) throw new ParseError('expected value');
	if (t.type === 'embedded') {
		if (!p.flags.privileged) throw new ParseError('embedded expression code in unprivileged script; need stap -g', null, false);
		p.next();
		return { kind: 'embedded_expr', tok: t, code: t.content };
	}
	if (t.type === 'operator' && t.content === '(') {
		p.swallow();
		const e = parseExpression(p);
		const close = p.next();
		if (!isOp(close, ')')) throw new ParseError("expected ')'");
		p.swallow();
		return e;
	}
	if (t.type === 'identifier' || (t.type === 'operator' && t.content.startsWith('@'))) return parseSymbol(p);
	return parseLiteral(p);
}

/** A string token's value, glued with following string tokens (stap's expect_unknown(tok_string)). */
export function expectString(p: Parser): string {
	const t = p.next();
	if (t.type !== 'string') throw new ParseError('expected string');
	return consumeStringLiterals(p, t).value;
}

function parseCastOp(p: Parser): TargetSymbolLike {
	const t = p.next();
	p.expectOp('(');
	const operand = parseExpression(p);
	p.expectOp(',');
	const typeName = expectString(p);
	if (typeName === '') throw new ParseError('expected non-empty string');
	let module = '';
	if (p.peekOp(',')) {
		p.swallow();
		module = expectString(p);
	}
	p.expectOp(')');
	return { kind: 'cast_op', tok: t, name: '@cast', operand, typeName, module, addressof: false, components: [] };
}

function parseAtVarOp(p: Parser): TargetSymbolLike {
	const t = p.next();
	p.expectOp('(');
	const targetName = expectString(p);
	const at = targetName.indexOf('@');
	const cuName = at >= 0 ? targetName.slice(at + 1) : '';
	let module = '';
	if (p.peekOp(',')) {
		p.swallow();
		module = expectString(p);
	}
	p.expectOp(')');
	return { kind: 'atvar_op', tok: t, name: '@var', targetName, cuName, module, addressof: false, components: [] };
}

/**
 * `@hist_linear(...)`/`@hist_log(...)` (the histogram), or a bare identifier
 * or @word (its token).
 */
export function parseHistOpOrBareName(p: Parser): Token | HistOp {
	const t = p.next();
	if (!(t.type === 'identifier' || (t.type === 'operator' && t.content.startsWith('@')))) {
		throw new ParseError('expected identifier or statistical operation');
	}
	if (t.content !== '@hist_linear' && t.content !== '@hist_log') return t;
	const htype = t.content === '@hist_linear' ? 'linear' : 'log';
	p.expectOp('(');
	const stat = parseExpression(p);
	const params: bigint[] = [];
	if (htype === 'linear') {
		for (let i = 0; i < 3; i++) {
			p.expectOp(',');
			params.push(p.expectNumber());
		}
	}
	p.expectOp(')');
	return { kind: 'hist_op', tok: t, htype, stat, params };
}

export function isHistOp(x: Token | HistOp): x is HistOp {
	return (x as HistOp).kind === 'hist_op';
}

export function parseIndexable(p: Parser): SymbolRef | HistOp {
	const r = parseHistOpOrBareName(p);
	return isHistOp(r) ? r : { kind: 'symbol', tok: r, name: r.content };
}
