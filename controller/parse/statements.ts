// Statements and literals (stap's parse_statement and friends).
import type {
	Block, ExprStatement, ForeachLoop, ForLoop, IfStatement, Literal, LiteralString, Statement, StatComponent,
	SymbolRef, TryBlock,
} from './ast.js';
import { ParseError } from './diagnostics.js';
import { parseExpression, parseIndexable } from './expressions.js';
import { type Parser, parseIntegerLiteral } from './parser.js';
import { isKeyword, isOp, type Token } from './token.js';

/** A string token plus any string tokens right after it, glued together (PR11208). */
export function consumeStringLiterals(p: Parser, t: Token): LiteralString {
	let value = t.content;
	let n = p.peek();
	while (n !== null && n.type === 'string' && !(!p.lexer.hasVersion('2.0') && p.lexer.ateComment)) {
		value += n.content;
		p.next();
		n = p.peek();
	}
	return { kind: 'literal_string', tok: t, value };
}

export function parseLiteralString(p: Parser): LiteralString {
	const t = p.next();
	if (t.type !== 'string') throw new ParseError('expected literal string');
	return consumeStringLiterals(p, t);
}

export function parseLiteral(p: Parser): Literal {
	let t = p.next();
	if (t.type === 'string') return consumeStringLiterals(p, t);
	let neg = false;
	if (t.type === 'operator' && t.content === '-') {
		neg = true;
		p.swallow();
		t = p.next();
	}
	if (t.type !== 'number') throw new ParseError('expected literal string or number');
	return { kind: 'literal_number', tok: t, value: parseIntegerLiteral(t.content, neg, 'parse_literal') };
}

export function parseStmtBlock(p: Parser): Block {
	const t = p.next();
	if (!isOp(t, '{')) throw new ParseError("expected '{'");
	const statements = p.listOpen();
	p.enter();
	for (;;) {
		if (p.peekOp('}')) {
			p.swallow();
			break;
		}
		p.listAdd(parseStatement(p));
	}
	p.leave();
	return { kind: 'block', tok: t, statements: p.listClose(statements) };
}

function parseTryBlock(p: Parser): TryBlock {
	const tok = p.expectKwToken('try');
	const tryBlock = parseStmtBlock(p);
	p.expectKnown('keyword', 'catch');
	let catchErrorVar: SymbolRef | null = null;
	if (p.peekOp('(')) {
		p.swallow();
		const t = p.next();
		if (t.type !== 'identifier') throw new ParseError('expected identifier');
		catchErrorVar = { kind: 'symbol', tok: t, name: t.content };
		p.expectOp(')');
	}
	const catchBlock = parseStmtBlock(p);
	return { kind: 'try_block', tok, tryBlock, catchErrorVar, catchBlock };
}

export function parseStatement(p: Parser): Statement {
	const t = p.peek();
	if (t === null) throw new ParseError('expected statement').from('parse_statement');
	let ret: Statement;
	if (t.type === 'operator') {
		if (t.content === ';') return { kind: 'null_statement', tok: p.next() };
		if (t.content === '{') return parseStmtBlock(p);
		ret = parseExprStatement(p);
	} else if (t.type === 'keyword') {
		switch (t.content) {
			case 'try': return parseTryBlock(p);
			case 'if': return parseIfStatement(p);
			case 'for': return parseForLoop(p);
			case 'foreach': return parseForeachLoop(p);
			case 'while': return parseWhileLoop(p);
			case 'return': ret = parseReturnStatement(p); break;
			case 'delete': {
				p.next();
				ret = { kind: 'delete_statement', tok: t, value: parseExpression(p) };
				break;
			}
			case 'break':
			case 'continue':
			case 'next':
				p.next();
				ret = { kind: `${t.content}_statement`, tok: t } as Statement;
				break;
			default:
				throw new ParseError('expected statement').from('parse_statement');
		}
	} else if (t.type === 'identifier' || t.type === 'number' || t.type === 'string' || t.type === 'embedded') {
		ret = parseExprStatement(p);
	} else {
		throw new ParseError('expected statement').from('parse_statement');
	}
	// A ';' after a simple statement is eaten silently.
	if (p.peekOp(';')) p.swallow();
	return ret;
}

function parseIfStatement(p: Parser): IfStatement {
	const tok = p.next();
	p.enter();
	let t = p.next();
	if (!isOp(t, '(')) throw new ParseError("expected '('");
	p.swallow();
	const condition = parseExpression(p);
	t = p.next();
	if (!isOp(t, ')')) throw new ParseError("expected ')'");
	p.swallow();
	const thenblock = parseStatement(p);
	let elseblock: Statement | null = null;
	if (isKeyword(p.peek(), 'else')) {
		p.swallow();
		elseblock = parseStatement(p);
	}
	p.leave();
	return { kind: 'if_statement', tok, condition, thenblock, elseblock };
}

export function parseExprStatement(p: Parser): ExprStatement {
	const t = p.peek();
	if (t === null) throw new ParseError('expression statement expected');
	return { kind: 'expr_statement', tok: t, value: parseExpression(p) };
}

function parseReturnStatement(p: Parser): Statement {
	const tok = p.next();
	if (p.context !== 'function') throw new ParseError("found 'return' not in function context");
	const t = p.peek();
	// (stap 4.8 itself dies of SIGSEGV here, reading past the end: a located error instead)
	if (t === null) throw new ParseError('unexpected end-of-file');
	const value = t.type === 'operator' && (t.content === ';' || t.content === '}') ? null : parseExpression(p);
	return { kind: 'return_statement', tok, value };
}

/** `op` must come next; `site` names stap's throw site (for/while/foreach each have their own). */
function expectCloser(p: Parser, op: string, site: string): void {
	const t = p.next();
	if (!isOp(t, op)) throw new ParseError(`expected '${op}'`).from(site);
	p.swallow();
}

function parseForLoop(p: Parser): ForLoop {
	const tok = p.next();
	p.enter();
	expectCloser(p, '(', 'for_open');
	let init: ExprStatement | null = null;
	if (p.peekOp(';')) p.swallow();
	else {
		init = parseExprStatement(p);
		expectCloser(p, ';', 'for_init_end');
	}
	let cond;
	if (p.peekOp(';')) {
		// An empty condition is the literal 1, attributed to the ';'.
		cond = { kind: 'literal_number' as const, tok: p.next(), value: 1n };
	} else {
		cond = parseExpression(p);
		expectCloser(p, ';', 'for_cond_end');
	}
	let incr: ExprStatement | null = null;
	if (p.peekOp(')')) p.swallow();
	else {
		incr = parseExprStatement(p);
		expectCloser(p, ')', 'for_close');
	}
	const block = parseStatement(p);
	p.leave();
	return { kind: 'for_loop', tok, init, cond, incr, block };
}

function parseWhileLoop(p: Parser): ForLoop {
	const tok = p.next();
	p.enter();
	expectCloser(p, '(', 'while_open');
	const cond = parseExpression(p);
	expectCloser(p, ')', 'while_close');
	const block = parseStatement(p);
	p.leave();
	return { kind: 'for_loop', tok, init: null, cond, incr: null, block };
}

const SORT_AGGREGATES: Record<string, StatComponent> = {
	'@avg': 'avg', '@min': 'min', '@max': 'max', '@count': 'count', '@sum': 'sum', '@variance': 'variance',
};

function parseForeachLoop(p: Parser): ForeachLoop {
	const tok = p.next();
	p.enter();
	const s: ForeachLoop = {
		kind: 'foreach_loop', tok, value: null, indexes: [], base: { kind: 'symbol', tok, name: '' }, arraySlice: [],
		sortDirection: 0, sortColumn: 0, sortAggr: null, limit: null, block: { kind: 'null_statement', tok },
	};
	expectCloser(p, '(', 'foreach_open');

	// `foreach (v = ...` or `foreach (k in ...`: read one identifier ahead to tell them apart.
	let lookahead: SymbolRef | null = null;
	let lookaheadSort: -1 | 0 | 1 = 0;
	let t = p.peek();
	if (t && t.type === 'identifier') {
		p.next();
		lookahead = { kind: 'symbol', tok: t, name: t.content };
		t = p.peek();
		if (isOp(t, '+') || isOp(t, '-')) {
			lookaheadSort = t!.content === '+' ? 1 : -1;
			p.swallow();
		}
		if (p.peekOp('=')) {
			p.swallow();
			s.value = lookahead;
			if (lookaheadSort) {
				s.sortDirection = lookaheadSort;
				s.sortColumn = 0;
			}
			lookahead = null;
		}
	}

	let parenthesized = false;
	if (!lookahead && p.peekOp('[')) {
		p.swallow();
		parenthesized = true;
	}
	if (lookahead) {
		s.indexes.push(lookahead);
		if (lookaheadSort) {
			s.sortDirection = lookaheadSort;
			s.sortColumn = 1;
		}
	} else {
		for (;;) {
			t = p.next();
			if (t.type !== 'identifier') throw new ParseError('expected identifier');
			s.indexes.push({ kind: 'symbol', tok: t, name: t.content });
			t = p.peek();
			if (isOp(t, '+') || isOp(t, '-')) {
				if (s.sortDirection) throw new ParseError('multiple sort directives');
				s.sortDirection = t!.content === '+' ? 1 : -1;
				s.sortColumn = s.indexes.length;
				p.swallow();
			}
			if (!parenthesized) break;
			if (p.listContinues(']', 'foreach_indexes')) continue;
			break;
		}
	}

	t = p.next();
	if (!isKeyword(t, 'in')) throw new ParseError("expected 'in'");
	p.swallow();
	s.base = parseIndexable(p);

	if (p.peekOp('[')) {
		p.swallow();
		for (;;) {
			if (p.peekOp('*')) {
				p.swallow();
				s.arraySlice.push(null);
			} else {
				s.arraySlice.push(parseExpression(p));
			}
			if (p.listContinues(']', 'foreach_slice')) continue;
			break;
		}
	}

	t = p.peek();
	if (t && t.type === 'operator' && t.content.startsWith('@')) {
		const aggr = SORT_AGGREGATES[t.content];
		if (!aggr) throw new ParseError('expected statistical operation');
		s.sortAggr = aggr;
		p.swallow();
		t = p.peek();
		if (!(isOp(t, '+') || isOp(t, '-'))) throw new ParseError('expected sort directive');
	}
	t = p.peek();
	if (isOp(t, '+') || isOp(t, '-')) {
		if (s.sortDirection) throw new ParseError('multiple sort directives');
		s.sortDirection = t!.content === '+' ? 1 : -1;
		s.sortColumn = 0;
		p.swallow();
	}
	if (isKeyword(p.peek(), 'limit')) {
		p.swallow();
		s.limit = parseExpression(p);
	}
	expectCloser(p, ')', 'foreach_close');
	s.block = parseStatement(p);
	p.leave();
	return s;
}
