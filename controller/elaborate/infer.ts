// Type inference to a fixpoint (stap's semantic_pass_types): types flow
// both ways through assignments, calls, array keys and comparisons, until
// nothing changes; then one more pass reports what is still unknown or
// contradicts an earlier inference, with stap's messages and the token
// where a type was first inferred.
import type { Token } from '../parse/token.js';
import { SemanticError } from './diagnostics.js';
import type * as P from './program.js';

type Known = P.ValueType;

const MAX_ITERATIONS = 100;

export class TypeInference {
	readonly errors: SemanticError[] = [];
	private changed = false;
	private final = false;
	/** Where each variable / function return / array key first got its type. */
	private readonly firstInferred = new Map<unknown, Token>();
	private readonly reported = new Set<Token>();
	private currentFunction: P.FunctionDef | null = null;

	run(functions: readonly P.FunctionDef[], probes: readonly P.ConcreteProbe[], globals: readonly P.GlobalVar[]): void {
		for (let i = 0; i < MAX_ITERATIONS; i++) {
			this.changed = false;
			this.visitAll(functions, probes);
			if (!this.changed) break;
		}
		this.final = true;
		this.visitAll(functions, probes);
		for (const g of globals) {
			if (g.type === 'unknown') this.error(new SemanticError('unresolved type', g.tok));
			g.keys?.forEach((k) => {
				if (k === 'unknown') this.error(new SemanticError('unresolved type', g.tok));
			});
		}
		for (const f of functions) {
			for (const p of f.params) if (p.type === 'unknown') this.error(new SemanticError('unresolved type', p.tok));
			if (f.body.kind === 'script') for (const l of f.body.locals) this.checkLocal(l);
		}
		for (const p of probes) for (const l of p.locals) this.checkLocal(l);
	}

	private checkLocal(l: P.LocalVar): void {
		if (l.type === 'unknown') this.error(new SemanticError('unresolved type', l.tok));
	}

	private visitAll(functions: readonly P.FunctionDef[], probes: readonly P.ConcreteProbe[]): void {
		for (const f of functions) {
			if (f.body.kind !== 'script') continue;
			this.currentFunction = f;
			this.stmt(f.body.block);
		}
		this.currentFunction = null;
		for (const p of probes) {
			if (p.condition) this.expr(p.condition, 'long');
			this.stmt(p.body);
		}
	}

	private error(e: SemanticError): void {
		if (e.tok && this.reported.has(e.tok)) return;
		if (e.tok) this.reported.add(e.tok);
		this.errors.push(e);
	}

	private mismatch(tok: Token, found: Known, slot: unknown, had: Known, what = 'type'): void {
		const err = new SemanticError(`${what === 'type' ? '' : what + ' '}type mismatch (${found})`, tok);
		const first = this.firstInferred.get(slot);
		if (first) err.chain = new SemanticError(`type${what === 'type' ? '' : ' of ' + what} was first inferred here (${had})`, first);
		else err.chain = null;
		this.error(first ? err : new SemanticError(`type mismatch: expected ${had} but found ${found}`, tok));
	}

	/** Give `slot` (whose current type is `cur`) the type `t`; returns the resulting type. */
	private unify(slot: unknown, cur: Known | 'unknown', t: Known | 'unknown', tok: Token, set: (t: Known) => void, what = 'type'): Known | 'unknown' {
		if (t === 'unknown') return cur;
		if (cur === 'unknown') {
			set(t);
			this.firstInferred.set(slot, tok);
			this.changed = true;
			return t;
		}
		if (cur !== t) this.mismatch(tok, t, slot, cur, what);
		return cur;
	}

	private check(e: P.Expr, expected: P.ExprType): void {
		if (expected !== 'unknown' && e.type !== 'unknown' && e.type !== expected) {
			this.error(new SemanticError(`type mismatch: expected ${expected} but found ${e.type}`, e.tok));
		}
	}

	// ------------------------------------------------------------ expressions

	expr(e: P.Expr, expected: P.ExprType): void {
		switch (e.kind) {
			case 'number': case 'string': case 'embedded_expr':
				this.check(e, expected);
				return;
			case 'binary':
				this.expr(e.left, 'long');
				this.expr(e.right, 'long');
				this.check(e, expected);
				return;
			case 'logical':
				this.expr(e.left, 'long');
				this.expr(e.right, 'long');
				this.check(e, expected);
				return;
			case 'unary':
				this.expr(e.operand, 'long');
				this.check(e, expected);
				return;
			case 'member':
				this.expr(e.base, 'long');
				this.check(e, expected);
				return;
			case 'crement':
				this.expr(e.target, 'long');
				this.check(e, expected);
				return;
			case 'comparison': {
				this.expr(e.left, e.right.type);
				this.expr(e.right, e.left.type);
				if (this.final && e.left.type !== 'unknown' && e.right.type !== 'unknown' && e.left.type !== e.right.type) {
					this.error(new SemanticError(`type mismatch: left and right sides don't agree (${e.left.type} vs ${e.right.type})`, e.tok));
				}
				if (e.left.type === 'stats' || e.right.type === 'stats') this.error(new SemanticError('invalid type stats', e.tok));
				this.check(e, expected);
				return;
			}
			case 'concat':
				this.expr(e.left, 'string');
				this.expr(e.right, 'string');
				this.check(e, expected);
				return;
			case 'regex':
				this.expr(e.left, 'string');
				this.check(e, expected);
				return;
			case 'ternary': {
				this.expr(e.cond, 'long');
				const want = expected !== 'unknown' ? expected : e.then.type !== 'unknown' ? e.then.type : e.otherwise.type;
				this.expr(e.then, want);
				this.expr(e.otherwise, want);
				if (e.type === 'unknown' && want !== 'unknown') {
					e.type = want;
					this.changed = true;
				}
				return;
			}
			case 'assign': return this.assign(e, expected);
			case 'var': return this.varRef(e, expected);
			case 'index': return this.indexRef(e, expected);
			case 'in':
				this.keys(e.array, e.keys);
				this.check(e, expected);
				return;
			case 'call': return this.call(e, expected);
			case 'print': return this.print(e, expected);
			case 'stat':
				this.expr(e.stat, 'stats');
				this.check(e, expected);
				return;
			case 'hist':
				this.expr(e.stat, 'stats');
				return;
			case 'hist_bucket':
				this.expr(e.hist, 'unknown');
				this.expr(e.bucket, 'long');
				this.check(e, expected);
				return;
		}
	}

	private setExprType(e: P.Expr, t: P.ExprType): void {
		if (e.type !== t && t !== 'unknown') {
			e.type = t;
			this.changed = true;
		}
	}

	private varRef(e: P.VarRef, expected: P.ExprType): void {
		const v = e.variable;
		if (v.kind === 'target') {
			this.setExprType(e, v.type);
			if (expected !== 'unknown' && expected !== v.type) {
				this.error(new SemanticError(`type mismatch: expected ${expected} but found ${v.type}`, e.tok));
			}
			return;
		}
		if (expected === 'stats' && v.kind !== 'global') {
			this.error(new SemanticError('stat locals not supported, missing global declaration?', e.tok));
			return;
		}
		const t = this.unify(v, v.type, expected, e.tok, (t) => {
			(v as { type: string }).type = t;
		});
		this.setExprType(e, t);
	}

	private keys(array: P.GlobalVar, keys: readonly (P.Expr | null)[]): void {
		keys.forEach((k, i) => {
			if (!k || !array.keys) return;
			const cur = array.keys[i] ?? 'unknown';
			// The key on its own first, so that a conflict is reported against the array's key type.
			this.expr(k, 'unknown');
			if (k.type === 'unknown') this.expr(k, cur);
			if (k.type === 'stats') {
				this.error(new SemanticError('invalid type stats', k.tok));
				return;
			}
			this.unify(`${array.mangledName}#${i}`, cur, k.type, k.tok, (t) => {
				array.keys![i] = t as P.ScalarType;
			}, `index ${i}`);
		});
	}

	private indexRef(e: P.IndexRef, expected: P.ExprType): void {
		this.keys(e.array, e.keys);
		const a = e.array;
		const t = this.unify(a, a.type, expected, e.tok, (t) => {
			a.type = t;
		});
		this.setExprType(e, t);
	}

	private assign(e: P.Assign, expected: P.ExprType): void {
		switch (e.op) {
			case '<<<':
				this.expr(e.target, 'stats');
				this.expr(e.value, 'long');
				break;
			case '=': {
				// The value first on its own, so that a conflict is reported at the target with
				// "first inferred here", as stap does; then unknown values learn the target's type.
				this.expr(e.value, 'unknown');
				this.expr(e.target, e.value.type !== 'unknown' ? e.value.type : expected);
				if (e.value.type === 'unknown') this.expr(e.value, e.target.type);
				if (e.target.type === 'stats') this.error(new SemanticError('invalid operator', e.tok));
				this.setExprType(e, e.target.type);
				break;
			}
			case '.=':
				this.expr(e.target, 'string');
				this.expr(e.value, 'string');
				break;
			default:
				this.expr(e.target, 'long');
				this.expr(e.value, 'long');
		}
		this.check(e, expected);
	}

	private call(e: P.Call, expected: P.ExprType): void {
		const f = e.callee;
		e.args.forEach((a, i) => {
			const p = f.params[i]!;
			this.expr(a, p.type);
			if (a.type === 'stats') {
				this.error(new SemanticError('function arguments cannot be statistics', a.tok));
				return;
			}
			this.unify(p, p.type, a.type, a.tok, (t) => {
				p.type = t as P.ScalarType;
			}, `index ${i}`);
		});
		if (f.returnType === 'unknown' && f.body.kind === 'script' && expected !== 'unknown' && expected !== 'stats') {
			this.unify(f, 'unknown', expected, e.tok, (t) => {
				f.returnType = t as P.ScalarType;
			});
		}
		this.setExprType(e, f.returnType);
		this.check(e, expected);
	}

	private print(e: P.PrintCall, expected: P.ExprType): void {
		if (e.format) {
			const conversions = e.format.filter((c) => c.type !== 'literal');
			const starArgs = e.format.filter((c) => c.width === '*').length + e.format.filter((c) => c.precision === '*').length;
			if (conversions.length + starArgs !== e.args.length) {
				this.error(new SemanticError('Wrong number of args to formatted print operation', e.tok));
				return;
			}
			let i = 0;
			for (const c of conversions) {
				if (c.width === '*') this.expr(e.args[i++]!, 'long');
				if (c.precision === '*') this.expr(e.args[i++]!, 'long');
				const arg = e.args[i++]!;
				const want: P.ExprType = c.type === 'string' || c.type === 'memory' || c.type === 'memory_hex' ? 'string' : 'long';
				this.expr(arg, want);
			}
		} else {
			for (const a of e.args) {
				this.expr(a, 'unknown');
				if (this.final && a.type === 'unknown') this.error(new SemanticError('unresolved type', a.tok));
				if (a.type === 'stats') this.error(new SemanticError('invalid type stats', a.tok));
			}
		}
		if (e.hist) this.expr(e.hist, 'unknown');
		if (!e.toStream) this.check(e, expected);
	}

	// ------------------------------------------------------------ statements

	private stmt(s: P.Stmt): void {
		switch (s.kind) {
			case 'block': for (const x of s.statements) this.stmt(x); return;
			case 'try': this.stmt(s.body); this.stmt(s.handler); return;
			case 'expr': this.expr(s.expr, 'unknown'); return;
			case 'if':
				this.expr(s.cond, 'long');
				this.stmt(s.then);
				if (s.otherwise) this.stmt(s.otherwise);
				return;
			case 'for':
				if (s.init) this.expr(s.init, 'unknown');
				this.expr(s.cond, 'long');
				if (s.incr) this.expr(s.incr, 'unknown');
				this.stmt(s.body);
				return;
			case 'foreach': return this.foreach(s);
			case 'return': {
				const f = this.currentFunction;
				if (!f || !s.value) return;
				this.expr(s.value, f.returnType);
				if (s.value.type === 'stats') this.error(new SemanticError('function return type cannot be statistics', s.value.tok));
				else this.unify(f, f.returnType, s.value.type, s.value.tok, (t) => {
					f.returnType = t as P.ScalarType;
				});
				return;
			}
			case 'delete':
				if (s.target.kind !== 'array') this.expr(s.target, 'unknown');
				return;
			default:
				return;
		}
	}

	private foreach(s: P.ForeachStmt): void {
		if (s.array.kind === 'hist') {
			this.expr(s.array, 'unknown');
			const k = s.keyVars[0]!;
			this.unify(k, k.type, 'long', s.tok, (t) => {
				k.type = t as P.ScalarType;
			});
		} else {
			const a = s.array;
			s.keyVars.forEach((k, i) => {
				const cur = a.keys?.[i] ?? 'unknown';
				this.unify(k, k.type, cur, k.tok, (t) => {
					k.type = t as P.ScalarType;
				});
				this.unify(`${a.mangledName}#${i}`, cur, k.type, k.tok, (t) => {
					a.keys![i] = t as P.ScalarType;
				}, `index ${i}`);
			});
			if (s.valueVar) {
				const v = s.valueVar;
				if (a.type === 'stats') this.error(new SemanticError('foreach value variable cannot hold statistics; use @count(a[k]) etc.', v.tok));
				else this.unify(v, v.type, a.type, v.tok, (t) => {
					v.type = t as P.ScalarType;
				});
			}
			this.keys(a, s.slice);
		}
		if (s.limit) this.expr(s.limit, 'long');
		this.stmt(s.body);
	}
}
