// Names in expressions (stap's parse_symbol): variables, array elements,
// function calls, the print family, @stat operators, and the @operators that
// take special arguments (@defined, @entry, @perf, @const, @probewrite,
// @kregister/@uregister, @kderef/@uderef).
import type { ArrayIndex, Expression, HistOp, PrintFormat, StatComponent, SymbolRef } from './ast.js';
import { ParseError } from './diagnostics.js';
import { expectString, isHistOp, parseExpression, parseHistOpOrBareName } from './expressions.js';
import type { Parser } from './parser.js';
import { parseFormatString } from './print-format.js';
import { parseLiteralString } from './statements.js';
import type { Token } from './token.js';

const CLOSE_OR_COMMA = [')', ','];
const COMMA_OR_CLOSE = [',', ')'];
const BRACKET_OR_COMMA = [']', ','];

const STAT_OPS: Record<string, StatComponent> = {
	'@avg': 'avg', '@variance': 'variance', '@count': 'count', '@sum': 'sum', '@min': 'min', '@max': 'max',
};

export function parseSymbol(p: Parser): Expression {
	const r = parseHistOpOrBareName(p);
	if (isHistOp(r)) return arraySuffix(p, r.tok, r);
	const t = r;
	const name = t.content;

	switch (name) {
		case '@defined': return { kind: 'defined_op', tok: t, operand: parenthesized(p) };
		case '@probewrite': {
			p.expectOp('(');
			const v = p.next();
			if (v.type !== 'identifier') throw new ParseError('expected identifier');
			p.swallow();
			p.expectOp(')');
			return { kind: 'probewrite_op', tok: t, name: v.content };
		}
		case '@const': return parseConstOp(p, t);
		case '@entry': return { kind: 'entry_op', tok: t, operand: parenthesized(p) };
		case '@perf': {
			p.expectOp('(');
			const operand = parseLiteralString(p);
			if (operand.value === '') throw new ParseError('expected non-empty string');
			p.expectOp(')');
			return { kind: 'perf_op', tok: t, operand };
		}
	}
	if (p.lexer.hasVersion('4.0')) {
		if (name === '@kregister' || name === '@uregister') {
			const userspace = name[1] === 'u';
			if (!userspace && !p.flags.privileged) {
				throw new ParseError('using @kregister operator not permitted; need stap -g', null, false);
			}
			p.expectOp('(');
			const regno = p.expectNumber();
			p.expectOp(')');
			return { kind: 'target_register', tok: t, userspace, regno };
		}
		if (name === '@kderef' || name === '@uderef') {
			const userspace = name[1] === 'u';
			if (!userspace && !p.flags.privileged) {
				throw new ParseError('using @kderef operator not permitted; need stap -g', null, false);
			}
			p.expectOp('(');
			const size = p.expectNumber();
			p.expectOp(',');
			const addr = parseExpression(p);
			p.expectOp(')');
			return { kind: 'target_deref', tok: t, userspace, size, addr };
		}
	}
	if (name.startsWith('@')) return parseStatOp(p, t, name);

	const fmt = createPrintFormat(t);
	if (fmt) return parsePrintArgs(p, fmt, name);

	if (p.peekOp('(')) {
		p.swallow();
		const args = p.listOpen();
		if (p.peekOp(')')) {
			p.swallow();
		} else {
			for (;;) {
				p.listAdd(parseExpression(p));
				if (p.expectOpAny(CLOSE_OR_COMMA) === ')') break;
			}
		}
		return { kind: 'functioncall', tok: t, function: name, args: p.listClose(args) };
	}
	const sym: SymbolRef = { kind: 'symbol', tok: t, name };
	return arraySuffix(p, t, sym);
}

function parenthesized(p: Parser): Expression {
	p.expectOp('(');
	const e = parseExpression(p);
	p.expectOp(')');
	return e;
}

function parseConstOp(p: Parser, t: Token): Expression {
	if (!p.flags.privileged) throw new ParseError('using @const operator not permitted; need stap -g', null, false);
	p.expectOp('(');
	const cnst = expectString(p);
	if (cnst === '') throw new ParseError('expected non-empty string');
	p.expectOp(')');
	return { kind: 'embedded_expr', tok: t, code: '/* pure */ /* unprivileged */ /* stable */ ' + cnst };
}

function parseStatOp(p: Parser, t: Token, name: string): Expression {
	const ctype = STAT_OPS[name];
	if (!ctype) throw new ParseError(`unknown operator ${name}`);
	const maxParams = ctype === 'variance' ? 1 : 0;
	p.expectOp('(');
	const stat = parseExpression(p);
	const params: bigint[] = [];
	for (;;) {
		const n = p.next();
		if (n.type === 'operator' && n.content === ')') {
			p.swallow();
			break;
		}
		if (n.type === 'operator' && n.content === ',') {
			if (params.length >= maxParams) {
				throw new ParseError(`not more than ${maxParams + 1} parameter${maxParams + 1 === 1 ? '' : 's'} allowed`, n);
			}
			p.swallow();
			params.push(p.expectNumber());
		}
		// Any other token is skipped, as stap does.
	}
	return { kind: 'stat_op', tok: t, ctype, stat, params };
}

/** `name[i, j]` after a symbol or histogram; a bare histogram is not an expression. */
function arraySuffix(p: Parser, t: Token, base: SymbolRef | HistOp): Expression {
	if (p.peekOp('[')) {
		p.swallow();
		const indexes = p.listOpen();
		for (;;) {
			if (p.peekOp('*')) {
				p.swallow();
				p.listAdd(null);
			} else {
				p.listAdd(parseExpression(p));
			}
			if (p.expectOpAny(BRACKET_OR_COMMA) === ']') break;
		}
		const ai: ArrayIndex = { kind: 'arrayindex', tok: t, base, indexes: p.listClose(indexes) };
		return ai;
	}
	if (base.kind === 'hist_op') throw new ParseError('base histogram operator where expression expected', t);
	return base;
}

/** stap's print_format::create: is `name` one of the print family? */
function createPrintFormat(t: Token): PrintFormat | null {
	const name = t.content;
	if (name.indexOf('print') < 0) return null; // most names: no allocation
	let stream = true, format = false, delim = false, newline = false, isChar = false;
	if (name === 'print_char') {
		isChar = true;
	} else {
		let n = name;
		if (n.startsWith('s')) {
			stream = false;
			n = n.slice(1);
		}
		if (!n.startsWith('print')) return null;
		n = n.slice(5);
		if (n.startsWith('f')) {
			format = true;
			n = n.slice(1);
		} else {
			if (n.startsWith('d')) {
				delim = true;
				n = n.slice(1);
			}
			if (n.startsWith('ln')) {
				newline = true;
				n = n.slice(2);
			}
		}
		if (n !== '') return null;
	}
	return {
		kind: 'print_format', tok: t, printFormatType: name, printToStream: stream, printWithFormat: format,
		printWithDelim: delim, printWithNewline: newline, printChar: isChar, rawComponents: '', components: [],
		delimiter: '', args: [], hist: null,
	};
}

function parsePrintArgs(p: Parser, fmt: PrintFormat, name: string): PrintFormat {
	p.expectOp('(');
	const args = p.listOpen();
	if ((name === 'print' || name === 'println' || name === 'sprint' || name === 'sprintln')
		&& (p.peekOp('@hist_linear') || p.peekOp('@hist_log'))) {
		// print(@hist_log(x)) prints the histogram; print(@hist_log(x)[b]) prints one bucket.
		const hist = parseHistOpOrBareName(p) as HistOp; // peeked: it is one
		if (!p.peekOp('[')) {
			fmt.hist = hist;
		} else {
			p.expectOp('[');
			const ai: ArrayIndex = { kind: 'arrayindex', tok: hist.tok, base: hist, indexes: [parseExpression(p)] };
			p.expectOp(']');
			p.listAdd(ai);
			while (!p.peekOp(')')) {
				p.expectOpAny(COMMA_OR_CLOSE);
				p.listAdd(parseExpression(p));
			}
		}
	} else {
		let minArgs = 0;
		let consumedArg = false;
		if (fmt.printWithFormat) {
			fmt.rawComponents = parseLiteralString(p).value;
			fmt.components = parseFormatString(fmt.rawComponents);
			consumedArg = true;
		} else if (fmt.printWithDelim) {
			fmt.delimiter = parseLiteralString(p).value;
			consumedArg = true;
			minArgs = 2;
		} else if (!fmt.printWithNewline) {
			minArgs = 1;
		}
		while (minArgs || !p.peekOp(')')) {
			if (consumedArg) p.expectOpAny(COMMA_OR_CLOSE);
			p.listAdd(parseExpression(p));
			consumedArg = true;
			if (minArgs) minArgs--;
		}
	}
	fmt.args = p.listClose(args);
	p.expectOp(')');
	return fmt;
}
