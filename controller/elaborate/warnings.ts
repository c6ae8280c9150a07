// Usage analysis after inference, as stap's semantic_pass_optimize does it:
// assignments to locals that nothing reads are elided (alias prologues set
// name/argstr/... for every probe; a handler that never reads argstr must
// not pay for formatting it), unused user globals are dropped, functions no
// longer reached are dropped; and stap's warnings are given for the user's
// own code: "Eliding assignment to", "never-assigned local/global variable".
import type { Diagnostics } from '../parse/diagnostics.js';
import type { Token } from '../parse/token.js';
import { similarNames } from './diagnostics.js';
import type { SymbolTable } from './library.js';
import type * as P from './program.js';
import type { Scope } from './translate.js';
import { forEachBlock, forEachStatement, walkExpr, walkStmt } from './walk.js';

/** Runtime builtins with an effect beyond their value: a call to one is never elided. */
const EFFECTFUL_RUNTIME = new Set(['exit', 'error', 'warn', 'abort', 'print_backtrace', 'print_ubacktrace', 'print_stack', 'print_ustack', 'system', 'printk', 'tokenize']);

/** Which functions have no effect beyond their value (pureFunction), worked out once per pass. */
type PurityMemo = Map<P.FunctionDef, boolean>;

function sideEffectFree(e: P.Expr, memo: PurityMemo): boolean {
	let free = true;
	walkExpr(e, (x) => {
		if (x.kind === 'assign' || x.kind === 'crement' || x.kind === 'embedded_expr') free = false;
		else if (x.kind === 'print' && x.toStream) free = false;
		else if (x.kind === 'call' && !pureFunction(x.callee, memo)) free = false;
	});
	return free;
}

/** An assignment's target that is the function's own (a local or a parameter), not a global or an array element. */
function ownVariable(t: P.Expr): boolean {
	return t.kind === 'var' && (t.variable.kind === 'local' || t.variable.kind === 'param');
}

/**
 * A function whose call can go when its value is not used, as stap's
 * optimiser decides it: a runtime builtin without an effect of its own, or
 * a script function that assigns only its own locals and parameters,
 * prints nothing, deletes nothing global, has no embedded C, and calls only
 * such functions (tapsets' return_str(), which formats "-2 (ENOENT)" for
 * every syscall return alias's retstr). Embedded-C functions are kept.
 */
function pureFunction(f: P.FunctionDef, memo: PurityMemo): boolean {
	if (f.body.kind === 'runtime') return !EFFECTFUL_RUNTIME.has(f.name);
	if (f.body.kind !== 'script') return false;
	const known = memo.get(f);
	if (known !== undefined) return known;
	memo.set(f, true); // while looking (recursion): what it calls decides
	const block = f.body.block;
	let pure = true;
	walkStmt(block, (x) => {
		if ((x.kind === 'assign' || x.kind === 'crement') && !ownVariable(x.target)) pure = false;
		else if (x.kind === 'embedded_expr' || (x.kind === 'print' && x.toStream)) pure = false;
		else if (x.kind === 'call' && !pureFunction(x.callee, memo)) pure = false;
	});
	forEachBlock(block, (b) => {
		for (const st of b.statements) if (st.kind === 'embedded' || (st.kind === 'delete' && !ownVariable(st.target as P.Expr))) pure = false;
	});
	memo.set(f, pure);
	return pure;
}

function isUserToken(tok: Token, table: SymbolTable): boolean {
	return !tok.file.synthetic && !table.tapsetFiles.some((f) => f.file === tok.file);
}

/** Locals whose value is used: referenced other than as the target of a plain `x = v`. */
function readLocals(body: P.Stmt, condition: P.Expr | null): Set<P.LocalVar> {
	const refs = new Map<P.LocalVar, number>();
	const asTarget = new Map<P.LocalVar, number>();
	const count = (e: P.Expr): void => {
		if (e.kind === 'var' && e.variable.kind === 'local') refs.set(e.variable, (refs.get(e.variable) ?? 0) + 1);
		if (e.kind === 'assign' && e.op === '=' && e.target.kind === 'var' && e.target.variable.kind === 'local') {
			asTarget.set(e.target.variable, (asTarget.get(e.target.variable) ?? 0) + 1);
		}
	};
	walkStmt(body, count);
	if (condition) walkExpr(condition, count);
	return new Set([...refs].filter(([l, n]) => n > (asTarget.get(l) ?? 0)).map(([l]) => l));
}

/**
 * Give every `if` branch and loop body a block of its own, so that the
 * elision below reaches a bare statement there: the syscall aliases set
 * argstr in `if (flags & O_CREAT) argstr = ... else argstr = ...`.
 */
function blockBranches(s: P.Stmt): void {
	const asBlock = (x: P.Stmt): P.Block => (x.kind === 'block' ? x : { kind: 'block', tok: x.tok, statements: [x] });
	forEachStatement(s, (x) => {
		const m = x as { then?: P.Stmt; otherwise?: P.Stmt | null; body?: P.Stmt };
		if (x.kind === 'if') {
			m.then = asBlock(x.then);
			if (x.otherwise) m.otherwise = asBlock(x.otherwise);
		} else if (x.kind === 'for' || x.kind === 'foreach') {
			m.body = asBlock(x.body);
		}
	});
}

const emptyBlock = (s: P.Stmt | null): boolean => s === null || (s.kind === 'block' && s.statements.length === 0);

/** A statement that elision has left doing nothing: an `if` with empty branches and a condition without effects. */
function emptyStatement(s: P.Stmt, memo: PurityMemo): boolean {
	if (s.kind === 'if') return emptyBlock(s.then) && emptyBlock(s.otherwise) && sideEffectFree(s.cond, memo);
	return s.kind === 'block' && s.statements.length === 0;
}

/** Elide dead local assignments in one probe (repeatedly: one removal can make another local dead). */
function elideDeadAssignments(p: P.ConcreteProbe, table: SymbolTable, diags: Diagnostics, memo: PurityMemo): void {
	blockBranches(p.body);
	for (let round = 0; round < 4; round++) {
		const read = readLocals(p.body, p.condition);
		let removed = false;
		forEachBlock(p.body, (b) => {
			for (let i = 0; i < b.statements.length; i++) {
				const s = b.statements[i]!;
				if (s.kind !== 'expr' || s.expr.kind !== 'assign' || s.expr.op !== '=') continue;
				const t = s.expr.target;
				if (t.kind !== 'var' || t.variable.kind !== 'local' || read.has(t.variable)) continue;
				if (!sideEffectFree(s.expr.value, memo)) continue;
				if (isUserToken(s.expr.tok, table)) diags.warn(`Eliding assignment to '${t.variable.name}'`, s.expr.tok);
				b.statements.splice(i--, 1);
				removed = true;
			}
		});
		// Blocks inside out (forEachBlock visits outer ones first): an `if`
		// emptied here may empty the block around it.
		const blocks: P.Block[] = [];
		forEachBlock(p.body, (b) => blocks.push(b));
		for (const b of blocks.reverse()) {
			const before = b.statements.length;
			b.statements.splice(0, before, ...b.statements.filter((x) => !emptyStatement(x, memo)));
			if (b.statements.length !== before) removed = true;
		}
		if (!removed) break;
	}
	const stillUsed = new Set<P.LocalVar>();
	const targetsRead = new Set<P.TargetVar>();
	const note = (e: P.Expr): void => {
		if (e.kind === 'var' && e.variable.kind === 'local') stillUsed.add(e.variable);
		if (e.kind === 'var' && e.variable.kind === 'target') targetsRead.add(e.variable);
	};
	walkStmt(p.body, note);
	if (p.condition) walkExpr(p.condition, note);
	// A target variable only an elided assignment read is not fetched at all.
	p.targetVars.splice(0, p.targetVars.length, ...p.targetVars.filter((t) => targetsRead.has(t)));
	forEachBlock(p.body, (b) => {
		for (const s of b.statements) {
			if (s.kind === 'foreach') for (const v of [...s.keyVars, s.valueVar]) if (v) stillUsed.add(v);
			if (s.kind === 'try' && s.errorVar) stillUsed.add(s.errorVar);
		}
	});
	const kept = p.locals.filter((l) => stillUsed.has(l));
	p.locals.splice(0, p.locals.length, ...kept);
}

/** elideDeadAssignments() again for a probe whose body changed after analyseUsage() (an entry probe, pruneEntrySaves()). */
export function elideAgain(p: P.ConcreteProbe, table: SymbolTable, diags: Diagnostics): void {
	elideDeadAssignments(p, table, diags, new Map());
}

/** Functions reachable from the probes, in the given order. */
function reachableFunctions(probes: readonly P.ConcreteProbe[], all: readonly P.FunctionDef[]): P.FunctionDef[] {
	const reached = new Set<P.FunctionDef>();
	const queue: P.FunctionDef[] = [];
	const visit = (e: P.Expr): void => {
		if (e.kind === 'call' && !reached.has(e.callee)) {
			reached.add(e.callee);
			queue.push(e.callee);
		}
	};
	for (const p of probes) {
		walkStmt(p.body, visit);
		if (p.condition) walkExpr(p.condition, visit);
	}
	for (let f = queue.shift(); f; f = queue.shift()) if (f.body.kind === 'script') walkStmt(f.body.block, visit);
	return all.filter((f) => reached.has(f));
}

export interface Usage {
	readonly globals: P.GlobalVar[];
	readonly functions: P.FunctionDef[];
}

export function analyseUsage(
	diags: Diagnostics, globals: readonly P.GlobalVar[], probes: readonly P.ConcreteProbe[], functions: readonly P.FunctionDef[],
	scopes: ReadonlyMap<P.ConcreteProbe, Scope>, table: SymbolTable,
): Usage {
	const memo: PurityMemo = new Map();
	for (const p of probes) {
		const sc = scopes.get(p);
		if (sc) {
			for (const l of sc.localReads) {
				if (sc.localWrites.has(l) || !isUserToken(l.tok, table)) continue;
				const sugs = similarNames(l.name, [...sc.locals.keys(), ...globals.map((g) => g.name)]);
				diags.warn(`never-assigned local variable '${l.name}'${sugs.length ? ` (similar: ${sugs.join(', ')})` : ''}`, l.tok);
			}
		}
		elideDeadAssignments(p, table, diags, memo);
	}
	const kept: P.GlobalVar[] = [];
	for (const g of globals) {
		if (!g.read && !g.written) {
			if (g.fromTapset === null) diags.warn(`Eliding unused variable '${g.name}'`, g.tok);
			continue;
		}
		if (g.read && !g.written && g.fromTapset === null) {
			const sugs = similarNames(g.name, globals.map((x) => x.name));
			diags.warn(`never-assigned global variable '${g.name}'${sugs.length ? ` (similar: ${sugs.join(', ')})` : ''}`, g.tok);
		}
		kept.push(g);
	}
	return { globals: kept, functions: reachableFunctions(probes, functions) };
}
