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

/** Assignment operators (right-associative, lowest precedence). */
function isAssignmentOp(op: string): boolean {
	switch (op) {
		case '=': case '<<<': case '+=': case '-=': case '*=': case '/=': case '%=': case '<<=': case '>>=':
		case '&=': case '^=': case '|=': case '.=':
			return true;
	}
	return false;
}

/** Levels above `in`: || 0, && 1, | 2, ^ 3, & 4; -1 for anything else. */
function upperLevel(op: string): number {
	switch (op) {
		case '||': return 0;
		case '&&': return 1;
		case '|': return 2;
		case '^': return 3;
		case '&': return 4;
	}
	return -1;
}

/** Levels between comparison and unary: << >> >>> 0, . 1, + - 2, * / % 3; -1 for anything else. */
function lowerLevel(op: string): number {
	switch (op) {
		case '<<': case '>>': case '>>>': return 0;
		case '.': return 1;
		case '+': case '-': return 2;
		case '*': case '/': case '%': return 3;
	}
	return -1;
}

function isComparisonOp(op: string): boolean {
	return op === '>' || op === '<' || op === '==' || op === '!=' || op === '<=' || op === '>=';
}

// (Nesting costs stack: each '(' goes through the eight functions from
// parseExpression down to parseValue; they are few, so that deep nesting
// reaches MAX_NESTING long before the stack runs out.)

export function parseExpression(p: Parser): Expression {
	p.enter(); // (no finally: an error resets the depth where it is caught, in parseFile)
	const left = parseTernary(p);
	const t = p.peek();
	let e = left;
	if (t !== null && t.type === 'operator' && isAssignmentOp(t.content)) {
		p.next();
		e = { kind: 'assignment', tok: t, op: t.content, left, right: parseExpression(p) };
	}
	p.leave();
	return e;
}

function parseTernary(p: Parser): Expression {
	const cond = climbUpper(p, 0);
	const t = p.peek();
	if (!isOp(t, '?')) return cond;
	p.next();
	const truevalue = parseExpression(p);
	const colon = p.next();
	if (!isOp(colon, ':')) throw new ParseError("expected ':'");
	p.swallow();
	p.enter();
	const falsevalue = p.lexer.hasVersion('4.0') ? parseTernary(p) : parseExpression(p);
	p.leave();
	return { kind: 'ternary', tok: t!, cond, truevalue, falsevalue };
}

/** The left-associative levels above `in`, from `minLevel` up (precedence climbing). */
function climbUpper(p: Parser, minLevel: number): Expression {
	let left = parseArrayIn(p);
	for (;;) {
		const t = p.peek();
		if (t === null || t.type !== 'operator') return left;
		const level = upperLevel(t.content);
		if (level < minLevel) return left;
		p.next();
		const right = climbUpper(p, level + 1);
		left = level === 0 ? { kind: 'logical_or', tok: t, op: '||', left, right }
			: level === 1 ? { kind: 'logical_and', tok: t, op: '&&', left, right }
			: { kind: 'binary', tok: t, op: t.content, left, right };
	}
}

/** The left-associative levels between comparison and unary, from `minLevel` up. */
function climbLower(p: Parser, minLevel: number): Expression {
	let left = parseUnary(p);
	for (;;) {
		const t = p.peek();
		if (t === null || t.type !== 'operator') return left;
		const level = lowerLevel(t.content);
		if (level < minLevel) return left;
		p.next();
		const right = climbLower(p, level + 1);
		left = level === 1 ? { kind: 'concatenation', tok: t, op: '.', left, right }
			: { kind: 'binary', tok: t, op: t.content, left, right };
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
		const only = comparisonTail(p, climbLower(p, 0));
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
	return comparisonTail(p, climbLower(p, 0));
}

/** After the first operand of a comparison level: `=~ "re"`, or any comparisons. */
function comparisonTail(p: Parser, first: Expression): Expression {
	let left = first;
	let t = p.peek();
	if (t !== null && t.type === 'operator' && (t.content === '=~' || t.content === '!~')) {
		p.next();
		const right: LiteralString = parseLiteralString(p);
		return { kind: 'regex_query', tok: t, op: t.content, left, right };
	}
	while (t !== null && t.type === 'operator' && isComparisonOp(t.content)) {
		p.next();
		const right = climbLower(p, 0);
		left = { kind: 'comparison', tok: t, op: t.content, left, right };
		t = p.peek();
	}
	return left;
}

/** Unary operators (recursively), then ++/-- before or after a value. */
function parseUnary(p: Parser): Expression {
	let t = p.peek();
	if (t !== null && t.type === 'operator' && (t.content === '+' || t.content === '-' || t.content === '!' || t.content === '~')) {
		p.next();
		p.enter();
		const e: Expression = { kind: 'unary', tok: t, op: t.content, operand: parseUnary(p) };
		p.leave();
		return e;
	}
	if (t !== null && t.type === 'operator' && (t.content === '++' || t.content === '--')) {
		p.next();
		return { kind: 'pre_crement', tok: t, op: t.content, operand: parseDwarfValue(p) };
	}
	const operand = parseDwarfValue(p);
	t = p.peek();
	if (t !== null && t.type === 'operator' && (t.content === '++' || t.content === '--')) {
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
	if (t && t.type === 'identifier' && t.content.charCodeAt(0) === 36 /* $ */) {
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
	if (t.type === 'identifier' || (t.type === 'operator' && t.content.charCodeAt(0) === 64 /* @ */)) return parseSymbol(p);
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
