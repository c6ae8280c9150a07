// stap's semantic_pass_vars: a foreach may not change the array it
// iterates. An element written, incremented, added to with `<<<` or
// deleted inside the loop's body is "variable 'a' modified during 'foreach'
// iteration"; a call there to a function whose own body does one of those
// to it is "function call modifies var 'a' during 'foreach' iteration".
// Deleting the whole array is not an element's change (stap checks elements
// only), nor is what a function's callees do (stap looks one call deep).
// The runtimes rely on it: the bpf kernel side's sorted foreach takes its
// elements from the live map (translate/kernel-sorted-foreach.ts).
import { SemanticError } from './diagnostics.js';
import type * as P from './program.js';
import { walkStmt } from './walk.js';

/** The array an element access names, if it is a global array. */
function arrayOf(e: P.Expr | P.DeleteStmt['target']): P.GlobalVar | null {
	return e.kind === 'index' ? e.array : null;
}

/** The arrays whose elements one statement tree changes itself (not through calls), with where. */
function elementWrites(s: P.Stmt, visit: (array: P.GlobalVar, at: P.Expr | P.DeleteStmt['target']) => void): void {
	const onExpr = (e: P.Expr): void => {
		if (e.kind === 'assign' || e.kind === 'crement') {
			const a = arrayOf(e.target);
			if (a) visit(a, e.target);
		}
	};
	walkStmt(s, onExpr, (x) => {
		if (x.kind === 'delete') {
			const a = arrayOf(x.target);
			if (a) visit(a, x.target);
		}
	});
}

/** The array a foreach iterates (a histogram's: its statistic's). */
function iterated(s: P.ForeachStmt): P.GlobalVar | null {
	if (s.array.kind !== 'hist') return s.array;
	const stat = s.array.stat;
	const v = stat.kind === 'index' ? stat.array : stat.variable;
	return v.kind === 'global' ? v : null;
}

/** The errors of every foreach in the program's probes and functions, in stap's words. */
export function foreachMutationErrors(probes: readonly P.ConcreteProbe[], functions: readonly P.FunctionDef[]): SemanticError[] {
	const changes = new Map<P.FunctionDef, Set<P.GlobalVar>>();
	for (const f of functions) {
		const set = new Set<P.GlobalVar>();
		if (f.body.kind === 'script') elementWrites(f.body.block, (a) => set.add(a));
		changes.set(f, set);
	}
	const errors: SemanticError[] = [];
	const check = (body: P.Stmt): void => {
		walkStmt(body, () => {}, (s) => {
			if (s.kind !== 'foreach') return;
			const a = iterated(s);
			if (!a) return;
			elementWrites(s.body, (w, at) => {
				if (w === a) errors.push(new SemanticError(`variable '${a.name}' modified during 'foreach' iteration`, at.tok));
			});
			walkStmt(s.body, (e) => {
				if (e.kind === 'call' && changes.get(e.callee)?.has(a)) errors.push(new SemanticError(`function call modifies var '${a.name}' during 'foreach' iteration`, e.tok));
			});
		});
	};
	for (const f of functions) if (f.body.kind === 'script') check(f.body.block);
	for (const p of probes) check(p.body);
	return errors;
}
