// Target-symbol suffixes: `->member`, `[index]`, and the pretty-printing
// forms `$var$`, `$var$$`, `->member$`, `->$` and a trailing `$`/`$$` token
// (stap's parse_target_symbol_components).
import type { TargetSymbolLike } from './ast.js';
import { ParseError } from './diagnostics.js';
import { parseExpression } from './expressions.js';
import type { Parser } from './parser.js';

const isAllDollars = (s: string): boolean => /^\$*$/.test(s);

/** Does a target-symbol suffix follow? */
export function peekTargetSymbolComponents(p: Parser): boolean {
	const t = p.peek();
	return t !== null && ((t.type === 'operator' && (t.content === '->' || t.content === '['))
		|| (t.type === 'identifier' && isAllDollars(t.content)));
}

/** Index of the last character that is not '$', or -1. */
function lastNotDollar(s: string): number {
	for (let i = s.length - 1; i >= 0; i--) if (s[i] !== '$') return i;
	return -1;
}

export function parseTargetSymbolComponents(p: Parser, e: TargetSymbolLike): void {
	const mark = p.listOpen();
	parseComponentList(p, e);
	if (p.listLength(mark) > 0) e.components = p.listClose(mark);
}

/** The components, onto the parser's list. */
function parseComponentList(p: Parser, e: TargetSymbolLike): void {
	let pprint = false;
	if (e.kind === 'target_symbol') {
		// `$foo$` / `$foo$$`: the trailing dollars ask for pretty-printing.
		const pos = lastNotDollar(e.name);
		if (pos > 0 && pos < e.name.length - 1) {
			p.listAdd({ kind: 'pretty_print', tok: e.tok, member: e.name.slice(pos + 1) });
			e.name = e.name.slice(0, pos + 1);
			pprint = true;
		}
	}
	while (!pprint) {
		if (p.peekOp('->')) {
			const t = p.next();
			let member = p.expectTypes('identifier', 'keyword');
			const pos = lastNotDollar(member);
			let pprintVal = '';
			if (pos < 0 || pos < member.length - 1) {
				pprintVal = member.slice(pos + 1);
				member = member.slice(0, pos + 1);
				pprint = true;
			}
			if (member !== '') p.listAdd({ kind: 'struct_member', tok: t, member });
			if (pprint) p.listAdd({ kind: 'pretty_print', tok: t, member: pprintVal });
		} else if (p.peekOp('[')) {
			const t = p.next();
			const index = parseExpression(p);
			if (index.kind === 'literal_number') p.listAdd({ kind: 'literal_index', tok: t, index: index.value });
			else p.listAdd({ kind: 'expression_index', tok: t, index });
			p.expectOp(']');
		} else {
			break;
		}
	}
	if (!pprint) {
		// `$foo[i]$` / `@cast(...)$`: a separate all-dollar token.
		const t = p.peek();
		if (t !== null && t.type === 'identifier' && isAllDollars(t.content)) {
			p.next();
			p.listAdd({ kind: 'pretty_print', tok: t, member: t.content });
			pprint = true;
		}
	}
	if (pprint && (p.peekOp('->') || p.peekOp('['))) {
		throw new ParseError('-> and [ are not accepted for a pretty-printing variable');
	}
}
