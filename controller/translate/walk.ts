// Which script functions a piece of the program calls, directly or not:
// the generator emits each function for the side(s) (kernel, user) whose
// probes reach it, and refuses recursion where the verifier cannot have it.
import type { Block, Expr, FunctionDef, Stmt } from '../elaborate/program.js';

// References to declarations, not children: following them would loop.
const NOT_CHILDREN = new Set(['tok', 'callee', 'variable', 'array', 'field', 'tracepoint', 'errorVar', 'keyVars', 'valueVar']);

function visit(node: unknown, onCall: (f: FunctionDef) => void): void {
	if (Array.isArray(node)) {
		for (const n of node) visit(n, onCall);
		return;
	}
	if (typeof node !== 'object' || node === null) return;
	const o = node as Record<string, unknown>;
	if (o.kind === 'call') onCall((o as unknown as Extract<Expr, { kind: 'call' }>).callee);
	if (o.kind === 'foreach' && typeof o.array === 'object' && (o.array as { kind?: string }).kind === 'hist') visit(o.array, onCall);
	if ((o.kind === 'index' || o.kind === 'in') && Array.isArray(o.keys)) visit(o.keys, onCall);
	for (const [k, v] of Object.entries(o)) {
		if (NOT_CHILDREN.has(k) || k === 'keys') continue;
		visit(v, onCall);
	}
}

/** Script functions reachable from `roots` (in first-reached order). */
export function reachableFunctions(roots: (Block | Stmt | Expr | null)[]): FunctionDef[] {
	const seen = new Set<FunctionDef>();
	const order: FunctionDef[] = [];
	const add = (f: FunctionDef) => {
		if (seen.has(f)) return;
		seen.add(f);
		order.push(f);
		if (f.body.kind === 'script') visit(f.body.block, add);
	};
	visit(roots, add);
	return order;
}

/** Functions among `fns` that can call themselves (directly or through others). */
export function recursiveFunctions(fns: FunctionDef[]): Set<FunctionDef> {
	const rec = new Set<FunctionDef>();
	for (const f of fns) {
		if (f.body.kind !== 'script') continue;
		const reach = reachableFunctions([f.body.block]);
		if (reach.includes(f)) rec.add(f);
	}
	return rec;
}
