// A visitor over the resolved tree: calls `visit` on every expression,
// parents before children. Used by the usage analysis and by pass 3.
import type * as P from './program.js';

export function walkExpr(e: P.Expr, visit: (e: P.Expr) => void): void {
	visit(e);
	const w = (x: P.Expr | null): void => {
		if (x) walkExpr(x, visit);
	};
	switch (e.kind) {
		case 'binary': case 'logical': case 'comparison': case 'concat': w(e.left); w(e.right); break;
		case 'regex': w(e.left); break;
		case 'unary': w(e.operand); break;
		case 'member': w(e.base); break;
		case 'crement': w(e.target); break;
		case 'ternary': w(e.cond); w(e.then); w(e.otherwise); break;
		case 'assign': w(e.target); w(e.value); break;
		case 'index': e.keys.forEach(w); break;
		case 'in': e.keys.forEach(w); break;
		case 'call': e.args.forEach(w); break;
		case 'print': e.args.forEach(w); w(e.hist); break;
		case 'stat': w(e.stat); break;
		case 'hist': w(e.stat); break;
		case 'hist_bucket': w(e.hist); w(e.bucket); break;
		default: break;
	}
}

/** Every expression of a statement tree, and (onStmt) every statement, statements before what they contain. */
export function walkStmt(s: P.Stmt, visit: (e: P.Expr) => void, onStmt?: (s: P.Stmt) => void): void {
	onStmt?.(s);
	const w = (x: P.Expr | null): void => {
		if (x) walkExpr(x, visit);
	};
	const ws = (x: P.Stmt): void => walkStmt(x, visit, onStmt);
	switch (s.kind) {
		case 'block': for (const x of s.statements) ws(x); break;
		case 'try': ws(s.body); ws(s.handler); break;
		case 'expr': w(s.expr); break;
		case 'if': w(s.cond); ws(s.then); if (s.otherwise) ws(s.otherwise); break;
		case 'for': w(s.init); w(s.cond); w(s.incr); ws(s.body); break;
		case 'foreach':
			if (s.array.kind === 'hist') w(s.array);
			s.slice.forEach(w);
			w(s.limit);
			ws(s.body);
			break;
		case 'return': w(s.value); break;
		case 'delete': if (s.target.kind !== 'array') w(s.target); break;
		default: break;
	}
}

/** Every statement list in a tree (blocks nested anywhere), for in-place rewriting. */
export function forEachBlock(s: P.Stmt, visit: (b: P.Block) => void): void {
	forEachStatement(s, (x) => {
		if (x.kind === 'block') visit(x);
	});
}

/** Every statement in s, s first, then what it contains. */
export function forEachStatement(s: P.Stmt, visit: (x: P.Stmt) => void): void {
	visit(s);
	switch (s.kind) {
		case 'block': for (const x of s.statements) forEachStatement(x, visit); break;
		case 'try': forEachStatement(s.body, visit); forEachStatement(s.handler, visit); break;
		case 'if': forEachStatement(s.then, visit); if (s.otherwise) forEachStatement(s.otherwise, visit); break;
		case 'for': case 'foreach': forEachStatement(s.body, visit); break;
		default: break;
	}
}
