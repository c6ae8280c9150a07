// From parse tree to the resolved tree (program.ts): every name is bound
// (local, global, parameter, target variable, function), every @defined is
// decided, and the functions reached are translated once each. Types are
// left for infer.ts, except where the syntax fixes them.
import type * as A from '../parse/ast.js';
import type { Token } from '../parse/token.js';
import type { BtfTypes } from './btf-types.js';
import { type CastSegment, pointerSegments, resolveCast } from './cast.js';
import { SemanticError, similarNames, UnreadableMemberError, withSimilar } from './diagnostics.js';
import type { LibraryFunction, SymbolTable } from './library.js';
import type * as P from './program.js';
import { TracepointTargets } from './tracepoint-args.js';
import { FunctionArgs } from './function-args.js';
import { KernelArgs } from './kernel-args.js';
import { UserFunctionArgs } from './user-function-args.js';
import { MarkTargets } from './sdt-probes.js';
import { regexProblem } from '../regex/compile.js';
import { byThread, type EntrySave, type EntrySide, entryArrayDecl } from './entry-side.js';

/** Where names are looked up: one probe (all its alias bodies share it) or one function. */
export interface Scope {
	readonly locals: Map<string, P.LocalVar>;
	readonly params: Map<string, P.ParamVar> | null;
	/** Target variables of the probe's event; null inside functions. */
	readonly targets: Map<string, P.TargetVar> | null;
	readonly usedTargets: Map<string, P.TargetVar>;
	/** Where a local was first written / read, for warnings. */
	readonly localWrites: Set<P.LocalVar>;
	readonly localReads: Set<P.LocalVar>;
	/** Statements copied from tapset files: their unused locals are not the user's business. */
	readonly userTokens: Set<P.LocalVar>;
	/** A return probe's entry side, for @entry (entry-side.ts); null elsewhere. */
	entry: EntrySide | null;
	/** The entry probe's scope, once an @entry needs it. */
	entryScope: Scope | null;
}

export function newScope(targets: Map<string, P.TargetVar> | null, params: Map<string, P.ParamVar> | null = null): Scope {
	return { locals: new Map(), params, targets, usedTargets: new Map(), localWrites: new Set(), localReads: new Set(), userTokens: new Set(), entry: null, entryScope: null };
}

/** stap's STP_MAX_BUCKETS: a linear histogram's buckets, underflow and overflow included. */
const MAX_LINEAR_BUCKETS = 128n;

/**
 * `@hist_linear(s, start, stop, interval)` as stap's runtime checks it when
 * it makes the histogram (stat-common.c, a warning there and no
 * histogram): here refused where the histogram is written.
 */
function checkLinearBuckets(start: bigint, stop: bigint, interval: bigint, fail: (message: string) => never): void {
	if (interval === 0n) fail('histogram: interval cannot be zero');
	// (C's division: toward zero, as BigInt's)
	const buckets = (stop - start) / interval + 3n;
	if (buckets > MAX_LINEAR_BUCKETS || buckets < 3n) {
		fail(`histogram: Number of buckets must be between 1 and ${MAX_LINEAR_BUCKETS - 2n}: here ${buckets - 2n}, (stop - start) / interval + 1; adjust the start, stop and interval`);
	}
}

const emptyStats = (): P.StatUsage => ({ count: false, sum: false, min: false, max: false, avg: false, variance: null, histLog: false, histLinear: [] });

export class Translator {
	readonly globals = new Map<string, P.GlobalVar>();
	/** -1 unknown, 0 scalar, N array of N keys. */
	readonly arity = new Map<P.GlobalVar, number>();
	readonly functionDefs = new Map<A.FunctionDecl, P.FunctionDef>();
	readonly functionScopes = new Map<P.FunctionDef, Scope>();
	readonly errors: SemanticError[] = [];
	private readonly pendingFunctions: [A.FunctionDecl, P.FunctionDef][] = [];
	private readonly pendingDeletes: (() => void)[] = [];

	/** `btf`: the target kernel's types (from its profile), for @cast; null when the profile has none. */
	constructor(private readonly table: SymbolTable, private readonly guru: boolean, private readonly btf: () => BtfTypes | null = () => null) {}

	fail(message: string, tok: Token | null, tok2: Token | null = null): never {
		throw new SemanticError(message, tok, tok2);
	}

	// ------------------------------------------------------------ globals

	/** Declare the user's globals up front, in declaration order (stap lists them first). */
	declareUserGlobals(decls: readonly A.VarDecl[]): void {
		for (const d of decls) this.globalFromDecl(d, null);
	}

	private globalFromDecl(d: A.VarDecl, fromTapset: string | null): P.GlobalVar {
		const existing = this.globals.get(d.unmangledName);
		if (existing) return existing;
		const init = d.init === null ? null : d.init.kind === 'literal_number' ? d.init.value : d.init.value;
		const type: P.GlobalVar['type'] = d.init === null ? (d.type === 'unknown' ? 'unknown' : d.type) : d.init.kind === 'literal_number' ? 'long' : 'string';
		const g: P.GlobalVar = {
			kind: 'global', name: d.unmangledName, mangledName: d.name, type, keys: null, init, maxSize: d.maxsize,
			wrap: d.wrap, stats: null, read: false, written: d.init !== null, fromTapset, tok: d.tok,
		};
		this.globals.set(d.unmangledName, g);
		this.arity.set(g, d.init !== null ? 0 : d.arity);
		return g;
	}

	private lookupGlobal(name: string): P.GlobalVar | null {
		const g = this.globals.get(name);
		if (g) return g;
		const lib = this.table.globals.get(name);
		return lib ? this.globalFromDecl(lib.decl, lib.fromTapset) : null;
	}

	/** Fix a global's arity on use: 0 scalar, N keys. */
	private useArity(g: P.GlobalVar, n: number, tok: Token): void {
		const a = this.arity.get(g) ?? -1;
		if (a === -1) {
			this.arity.set(g, n);
			g.keys = n > 0 ? Array.from({ length: n }, () => 'unknown' as const) : null;
			if (n > 0 && g.type === 'unknown') g.type = 'unknown';
		} else if (a !== n) {
			this.fail(`inconsistent arity (${a} vs ${n})`, tok, g.tok);
		}
	}

	// ------------------------------------------------------------ variables

	private local(sc: Scope, name: string, tok: Token): P.LocalVar {
		let l = sc.locals.get(name);
		if (!l) {
			l = { kind: 'local', name, type: 'unknown', index: sc.locals.size, tok };
			sc.locals.set(name, l);
		}
		return l;
	}

	/** A bare name: parameter, local, global, else a new local (stap's rule). */
	private variable(sc: Scope, name: string, tok: Token): P.Variable {
		const p = sc.params?.get(name);
		if (p) return p;
		const l = sc.locals.get(name);
		if (l) return l;
		const g = this.lookupGlobal(name);
		if (g) return g;
		return this.local(sc, name, tok);
	}

	private scalarRef(sc: Scope, s: A.SymbolRef, write: boolean): P.VarRef {
		const v = this.variable(sc, s.name, s.tok);
		if (v.kind === 'global') {
			this.useArity(v, 0, s.tok);
			if (write) v.written = true;
			else v.read = true;
		} else if (v.kind === 'local') {
			if (write) sc.localWrites.add(v);
			else sc.localReads.add(v);
		}
		return { kind: 'var', tok: s.tok, type: v.type === 'unknown' ? 'unknown' : v.type, variable: v };
	}

	private arrayOf(sc: Scope, base: A.SymbolRef, nkeys: number, write: boolean): P.GlobalVar {
		const v = this.variable(sc, base.name, base.tok);
		if (v.kind !== 'global') {
			this.fail(`unresolved arity-${nkeys} global array ${base.name}, missing global declaration?`, base.tok);
		}
		this.useArity(v, nkeys, base.tok);
		if (write) v.written = true;
		else v.read = true;
		return v;
	}

	// ------------------------------------------------------------ expressions

	expr(e: A.Expression, sc: Scope): P.Expr {
		switch (e.kind) {
			case 'literal_string': return { kind: 'string', tok: e.tok, type: 'string', value: e.value };
			case 'literal_number': return { kind: 'number', tok: e.tok, type: 'long', value: e.value };
			case 'embedded_expr': {
				if (!this.guru && !e.tok.file.synthetic && !this.isTapsetToken(e.tok)) this.fail('embedded expression may only be used in guru mode', e.tok);
				return { kind: 'embedded_expr', tok: e.tok, type: e.code.includes('/* string */') ? 'string' : 'long', code: e.code };
			}
			case 'binary': return { kind: 'binary', tok: e.tok, type: 'long', op: e.op, left: this.expr(e.left, sc), right: this.expr(e.right, sc) };
			case 'logical_or': case 'logical_and':
				return { kind: 'logical', tok: e.tok, type: 'long', op: e.op, left: this.expr(e.left, sc), right: this.expr(e.right, sc) };
			case 'comparison': return { kind: 'comparison', tok: e.tok, type: 'long', op: e.op, left: this.expr(e.left, sc), right: this.expr(e.right, sc) };
			case 'concatenation': return { kind: 'concat', tok: e.tok, type: 'string', left: this.expr(e.left, sc), right: this.expr(e.right, sc) };
			case 'regex_query': {
				const problem = regexProblem(e.right.value);
				if (problem) return this.fail(`regular expression ${JSON.stringify(e.right.value)}: ${problem}`, e.right.tok);
				return { kind: 'regex', tok: e.tok, type: 'long', negated: e.op === '!~', left: this.expr(e.left, sc), pattern: e.right.value };
			}
			case 'unary': return { kind: 'unary', tok: e.tok, type: 'long', op: e.op, operand: this.expr(e.operand, sc) };
			case 'pre_crement': case 'post_crement': {
				const target = this.lvalue(e.operand, sc, true);
				return { kind: 'crement', tok: e.tok, type: 'long', op: e.op as '++' | '--', prefix: e.kind === 'pre_crement', target };
			}
			case 'ternary': {
				const c = this.constantCondition(e.cond, sc);
				if (c !== null) return this.expr(c ? e.truevalue : e.falsevalue, sc);
				return { kind: 'ternary', tok: e.tok, type: 'unknown', cond: this.expr(e.cond, sc), then: this.expr(e.truevalue, sc), otherwise: this.expr(e.falsevalue, sc) };
			}
			case 'assignment': return this.assignment(e, sc);
			case 'array_in': {
				const ai = e.operand;
				if (ai.base.kind !== 'symbol') this.fail('cannot use "in" on a histogram', ai.tok);
				const array = this.arrayOf(sc, ai.base, ai.indexes.length, false);
				return { kind: 'in', tok: e.tok, type: 'long', array, keys: ai.indexes.map((k) => (k === null ? null : this.expr(k, sc))) };
			}
			case 'symbol': return this.scalarRef(sc, e, false);
			case 'target_symbol': return this.targetSymbol(e, sc);
			case 'cast_op': return this.cast(e, sc);
			case 'atvar_op': case 'autocast_op':
				return this.fail(`${e.kind === 'autocast_op' ? 'member access' : e.name} needs kernel debuginfo, which tapfleet does not use; use tracepoint fields ($name) instead`, e.tok);
			case 'defined_op': return { kind: 'number', tok: e.tok, type: 'long', value: this.isDefined(e.operand, sc) ? 1n : 0n };
			case 'probewrite_op': return { kind: 'number', tok: e.tok, type: 'long', value: 0n };
			case 'entry_op': return this.entryValue(e, sc);
			case 'perf_op': return this.fail('@perf is not supported yet', e.tok);
			case 'target_register': case 'target_deref':
				return this.fail(`${e.tok.content} is not supported`, e.tok);
			case 'arrayindex': return this.arrayIndex(e, sc, false);
			case 'functioncall': return this.call(e, sc);
			case 'print_format': return this.printFormat(e, sc);
			case 'stat_op': {
				const stat = this.statOperand(e.stat, sc);
				this.recordStat(stat, (u) => {
					if (e.ctype === 'variance') u.variance = Number(e.params[0] ?? 0n);
					else u[e.ctype] = true;
				});
				return { kind: 'stat', tok: e.tok, type: 'long', aggregate: e.ctype, stat, params: e.params };
			}
			case 'hist_op': return this.histOp(e, sc);
		}
	}

	private isTapsetToken(tok: Token): boolean {
		return this.table.tapsetFiles.some((f) => f.file === tok.file);
	}

	/** `@defined(...)`-only conditions are decided now, so the branch not taken is never resolved (stap folds them too). */
	private constantCondition(e: A.Expression, sc: Scope): boolean | null {
		if (e.kind === 'defined_op') return this.isDefined(e.operand, sc);
		if (e.kind === 'unary' && e.op === '!' && e.operand.kind === 'defined_op') return !this.isDefined(e.operand.operand, sc);
		return null;
	}

	/** @cast(PTR, "TYPE")->member...: read through the kernel's types (cast.ts). */
	private cast(e: A.CastOp, sc: Scope): P.Expr {
		const btf = this.btf();
		if (!btf) return this.fail('@cast needs the kernel\'s types, and the target profile has no BTF', e.tok);
		return this.memberChain(this.expr(e.operand, sc), resolveCast(btf, e), e.tok, sc);
	}

	/** The read of a member chain from a pointer `base` (a @cast's, a parameter's with a run-time index). */
	private memberChain(pointer: P.Expr, segments: CastSegment[], tok: Token, sc: Scope): P.Expr {
		let base = pointer;
		// an index computed at run time: the address the chain reached so far, plus index * the element's size
		for (const { steps, next } of segments.slice(0, -1)) {
			const reached: P.Expr = { kind: 'member', tok, type: 'long', base, steps, size: 8, signed: false, string: false, addressOf: !next!.load };
			const offset: P.Expr = { kind: 'binary', tok, type: 'long', op: '*', left: this.expr(next!.index, sc), right: { kind: 'number', tok, type: 'long', value: BigInt(next!.scale) } };
			base = { kind: 'binary', tok, type: 'long', op: '+', left: reached, right: offset };
		}
		const { steps, leaf } = segments[segments.length - 1]!;
		const read = leaf ?? { type: 'long' as const, size: 8, signed: false, string: false };
		return { kind: 'member', tok, type: read.type, base, steps, size: read.size, signed: read.signed, string: read.string, ...(leaf?.bits ? { bits: leaf.bits } : {}), addressOf: leaf === null };
	}

	private isDefined(e: A.Expression, sc: Scope): boolean {
		const resolves = (resolve: () => unknown): boolean => {
			try {
				return Boolean(resolve());
			} catch (err) {
				if (err instanceof UnreadableMemberError) return true; // there, though it cannot be read
				if (err instanceof SemanticError) return false;
				throw err;
			}
		};
		if (e.kind === 'cast_op') {
			const btf = this.btf();
			return btf !== null && resolves(() => resolveCast(btf, e));
		}
		if (e.kind !== 'target_symbol') return e.kind !== 'atvar_op' && e.kind !== 'autocast_op';
		if (!sc.targets) return false;
		if (e.components.length === 0 && sc.targets.has(e.name)) return true;
		if (e.components.some((c) => c.kind === 'expression_index')) {
			const args = argumentTargets(sc.targets);
			const kernelArgs = args instanceof KernelArgs ? args : null;
			const btf = this.btf();
			return kernelArgs !== null && btf !== null && resolves(() => {
				const pointee = kernelArgs.pointee(e.name, e.tok);
				return pointee !== null && pointerSegments(btf, pointee, e.components, false, e.tok, e.name);
			});
		}
		// a tracepoint's TP_PROTO argument or a kernel function's parameter, with its member chain ($prev, $next->pid)
		const args = argumentTargets(sc.targets);
		return args !== null && resolves(() => args.argument(e.name, e.components, e.tok));
	}

	private targetSymbol(e: A.TargetSymbol, sc: Scope): P.Expr {
		if (!sc.targets) return this.fail('target variables can only be used in probes', e.tok);
		const procfs = this.procfsValue(e, sc, false);
		if (procfs) return procfs;
		if (e.addressof) return this.targetAddress(e, sc);
		if (sc.targets instanceof MarkTargets) {
			const m = sc.targets.marker;
			if (e.name === '$$name' || e.name === '$$provider') return { kind: 'string', tok: e.tok, type: 'string', value: e.name === '$$name' ? m.name : m.provider };
			if (e.name === '$$vars' || e.name === '$$parms') return this.prettyVars(e, sc, true);
		}
		const params = parameterTargets(sc.targets);
		if (params && (e.name === '$$vars' || e.name === '$$parms') && params.names().length) return this.functionParms(e, sc, params);
		if (e.name === '$$vars' || e.name === '$$parms' || e.name === '$$locals') return this.prettyVars(e, sc);
		// a return probe's value, as stap prints it ($return is absent elsewhere: the error below)
		const returned = e.name === '$$return' && e.components.length === 0 ? sc.targets.get('$return') : undefined;
		if (returned) {
			sc.usedTargets.set(returned.name, returned);
			return this.syntheticSprintf(e.tok, 'return=0x%x', [{ kind: 'var', tok: e.tok, type: returned.type, variable: returned }]);
		}
		if (e.components.some((c) => c.kind === 'expression_index')) return this.indexedTarget(e, sc);
		let name = e.name;
		let components = e.components;
		// `$args[N]` on raw sys_enter: the Nth argument.
		if (components.length > 0 && components[0]!.kind === 'literal_index' && sc.targets.has(`$arg${Number(components[0]!.index) + 1}`) && name === '$args') {
			name = `$arg${Number(components[0]!.index) + 1}`;
			components = components.slice(1);
		}
		const t = sc.targets.get(name);
		const args = argumentTargets(sc.targets);
		if ((!t || components.length > 0) && args) {
			// stap's kernel.trace and kernel.function variables: the tracepoint's arguments or the function's parameters, through the target's BTF
			const arg = args.argument(name, components, e.tok);
			// in a return probe a parameter is its value at entry, as in stap
			if (arg && sc.entry && parameterTargets(args)) return this.entryValue({ kind: 'entry_op', tok: e.tok, operand: e }, sc);
			if (arg) {
				// one variable per spelling: read once at entry, however often used
				const v = sc.usedTargets.get(arg.name) ?? arg;
				sc.usedTargets.set(v.name, v);
				return { kind: 'var', tok: e.tok, type: v.type, variable: v };
			}
		}
		if (!t) {
			if (sc.targets instanceof MarkTargets) return this.fail(`unable to find marker argument '${name}' (mark("${sc.targets.marker.name}") has ${sc.targets.size}${sc.targets.size ? `: ${[...sc.targets.keys()].join(' ')}` : ''})`, e.tok);
			const known = [...sc.targets.keys(), ...(params ? params.names() : [])];
			const sugs = similarNames(name, [...known, '$$name', '$$parms', '$$vars']);
			return this.fail(`unable to find tracepoint variable '${name}'${sugs.length ? ` (alternatives: ${[...known, '$$parms', '$$vars'].join(' ')})` : ''}`, e.tok);
		}
		if (components.length > 0) {
			return this.fail(`cannot access members of '${name}' (${t.cType}): tapfleet reads tracepoint fields without debuginfo`, components[0]!.tok);
		}
		sc.usedTargets.set(name, t);
		return { kind: 'var', tok: e.tok, type: t.type, variable: t };
	}

	/**
	 * `$fdt->fd[fd]->f_op`: a kernel parameter's or tracepoint argument's
	 * member chain with an index computed at run time, read where it is
	 * used from the pointer's value, as `@cast($fdt, "fdtable")->fd[fd]->f_op`.
	 */
	private indexedTarget(e: A.TargetSymbol, sc: Scope): P.Expr {
		const args = argumentTargets(sc.targets);
		const kernelArgs = args instanceof KernelArgs ? args : null;
		const btf = this.btf();
		const pointee = kernelArgs && btf ? kernelArgs.pointee(e.name, e.tok) : null;
		const index = e.components.find((c) => c.kind === 'expression_index')!;
		if (pointee === null || !btf) return this.fail(`an index computed at run time of ${e.name} is not supported: only of a kernel function's parameter or a tracepoint's argument`, index.tok);
		if (sc.entry && parameterTargets(args)) return this.fail(`an index computed at run time is not supported in a .return probe, where ${e.name} is its value at entry`, index.tok);
		const pointer = this.targetSymbol({ ...e, addressof: false, components: [] }, sc);
		return this.memberChain(pointer, pointerSegments(btf, pointee, e.components, e.addressof, e.tok, e.name), e.tok, sc);
	}

	/**
	 * `&$arg->member...` (stap's address of a target variable's member):
	 * the pointer the member is in, read as a member chain is, plus the
	 * member's offset. In a return probe, the address at entry, as a
	 * parameter's value is there.
	 */
	private targetAddress(e: A.TargetSymbol, sc: Scope): P.Expr {
		const args = argumentTargets(sc.targets);
		const kernelArgs = args instanceof KernelArgs ? args : null;
		if (kernelArgs && !e.components.length && kernelArgs.argument(e.name, [], e.tok)) {
			return this.fail(`cannot take the address of '${e.name}': it is passed in a register; a member has one (&${e.name}->member)`, e.tok);
		}
		if (!kernelArgs || !e.components.length) {
			return this.fail('taking the address of a target variable is not supported: only of a member of a kernel function\'s parameter or a tracepoint\'s argument (&$var->member)', e.tok);
		}
		if (sc.entry && parameterTargets(args)) return this.entryValue({ kind: 'entry_op', tok: e.tok, operand: e }, sc);
		const found = kernelArgs.addressOf(e.name, e.components, e.tok);
		if (!found) return this.fail(`taking the address of '${e.name}' is not supported`, e.tok);
		const v = sc.usedTargets.get(found.pointer.name) ?? found.pointer;
		sc.usedTargets.set(v.name, v);
		const pointer: P.Expr = { kind: 'var', tok: e.tok, type: 'long', variable: v };
		return { kind: 'binary', tok: e.tok, type: 'long', op: '+', left: pointer, right: { kind: 'number', tok: e.tok, type: 'long', value: BigInt(found.offset) } };
	}

	/**
	 * @entry(EXPR): EXPR stored by the entry probe under tid(), taken out
	 * into a local as the return probe starts (entry-side.ts).
	 */
	private entryValue(e: A.EntryOp, sc: Scope): P.Expr {
		const side = sc.entry;
		if (!side) return this.fail('@entry is only valid in .return probes', e.tok);
		sc.entryScope ??= newScope(side.entry(e.tok).targets);
		const array = side.nextArray();
		const save: EntrySave = { array, store: null, take: null, drop: null };
		side.saves.push(save);
		this.declareUserGlobals([entryArrayDecl(array, e.tok)]);
		const tok = e.tok;
		save.store = this.stmt({ kind: 'expr_statement', tok, value: { kind: 'assignment', tok, op: '=', left: byThread(array, tok), right: e.operand } }, sc.entryScope);
		const value = `${array}_value`;
		save.take = this.stmt({ kind: 'expr_statement', tok, value: { kind: 'assignment', tok, op: '=', left: { kind: 'symbol', tok, name: value }, right: byThread(array, tok) } }, sc);
		save.drop = this.stmt({ kind: 'delete_statement', tok, value: byThread(array, tok) }, sc);
		side.prologue.push(save.take, save.drop);
		return this.expr({ kind: 'symbol', tok, name: value }, sc);
	}

	/**
	 * `$$parms` of a kernel function: "file=0x... count=0x..." over its
	 * parameters (their entry values in a return probe), a parameter that
	 * is not in a register as "?" (stap's form for what it cannot read).
	 */
	private functionParms(e: A.TargetSymbol, sc: Scope, params: FunctionArgs | UserFunctionArgs): P.Expr {
		const parts: string[] = [];
		const args: P.Expr[] = [];
		for (const name of params.names()) {
			const read: A.TargetSymbol = { kind: 'target_symbol', tok: e.tok, name, addressof: false, components: [] };
			let value: P.Expr | null = null;
			try {
				value = this.expr(read, sc);
			} catch (err) {
				if (!(err instanceof SemanticError)) throw err;
			}
			parts.push(value ? `${name.slice(1)}=0x%x` : `${name.slice(1)}=?`);
			if (value) args.push(value);
		}
		return this.syntheticSprintf(e.tok, parts.join(' '), args);
	}

	/** `$$vars`: "a=0x1 b="str"" over every target variable, as sprintf; a marker's are its arguments ("arg1=0x1"). */
	private prettyVars(e: A.TargetSymbol, sc: Scope, argsToo = false): P.Expr {
		const vars = [...sc.targets!.values()].filter((t) => /^\$[a-z_][a-z0-9_]*$/i.test(t.name) && (argsToo || !/^\$(arg\d|return|syscall)$/.test(t.name)));
		const args: P.Expr[] = [];
		const parts: string[] = [];
		for (const t of vars) {
			sc.usedTargets.set(t.name, t);
			parts.push(t.type === 'string' ? `${t.name.slice(1)}="%s"` : `${t.name.slice(1)}=0x%x`);
			args.push({ kind: 'var', tok: e.tok, type: t.type, variable: t });
		}
		return this.syntheticSprintf(e.tok, parts.join(' '), args);
	}

	syntheticSprintf(tok: Token, format: string, args: P.Expr[]): P.Expr {
		const flags = { zeropad: false, plus: false, space: false, left: false, special: false, sign: false, large: false };
		const comps: A.FormatComponent[] = [];
		const re = /%([sx])/g;
		let last = 0;
		for (let m = re.exec(format); m; m = re.exec(format)) {
			if (m.index > last) comps.push({ type: 'literal', literal: format.slice(last, m.index), flags, width: null, precision: null, base: 10 });
			comps.push({ type: m[1] === 's' ? 'string' : 'number', literal: '', flags, width: null, precision: null, base: m[1] === 's' ? 10 : 16 });
			last = re.lastIndex;
		}
		if (last < format.length) comps.push({ type: 'literal', literal: format.slice(last), flags, width: null, precision: null, base: 10 });
		return { kind: 'print', tok, type: 'string', name: 'sprintf', toStream: false, format: comps, delimiter: null, newline: false, args, hist: null };
	}

	private lvalue(e: A.Expression, sc: Scope, readToo: boolean): P.LValue {
		if (e.kind === 'symbol') {
			const r = this.scalarRef(sc, e, true);
			if (readToo) this.markRead(r, sc);
			return r;
		}
		if (e.kind === 'arrayindex') {
			const r = this.arrayIndex(e, sc, true);
			if (r.kind !== 'index') this.fail('Assignment to read-only histogram bucket', e.tok);
			if (readToo) r.array.read = true;
			return r;
		}
		if (e.kind === 'target_symbol') return this.procfsValue(e, sc, true) ?? this.targetLvalue(e, sc);
		return this.fail('assignment needs a variable or an array element on its left', e.tok);
	}

	/**
	 * A target variable as an assignment's target (`$return = -EPERM`,
	 * `$count = 0`, `$stat->size = 0`): stap's guru-mode writes, with its
	 * words where it refuses them. Pass 3 decides whether the runtime can
	 * write it (the kmod runtime's registers and kernel memory; BPF cannot).
	 */
	private targetLvalue(e: A.TargetSymbol, sc: Scope): P.VarRef {
		if (!sc.targets) return this.fail('target variables can only be used in probes', e.tok);
		if (e.name.startsWith('$$') || e.addressof) return this.fail(`${e.addressof ? '&' : ''}${e.name} cannot be written`, e.tok);
		const args = argumentTargets(sc.targets);
		// a parameter in a return probe is its value saved at entry: writing it would change nothing
		const entryValue = sc.entry !== null && args !== null && parameterTargets(args) !== null && e.name !== '$return';
		if (!this.guru) {
			// a variable the probe does not have is that error, as for a read
			if (!entryValue) this.targetSymbol(e, sc);
			return this.fail('write to target variable not permitted; need stap -g', e.tok);
		}
		if (entryValue) return this.fail('write to target variable not permitted in .return probes', e.tok);
		const r = this.targetSymbol(e, sc);
		if (r.kind !== 'var' || r.variable.kind !== 'target') return this.fail(`${e.name} cannot be written`, e.tok);
		if (r.variable.type === 'string') return this.fail(`${r.variable.name} is a string (${r.variable.cType}): only integers and pointers of target variables can be written`, e.tok);
		return r;
	}

	/**
	 * A procfs probe's $value, as stap allows it: assigned (`=`, `.=`) in a
	 * read probe, read in a write probe. Null for another target variable.
	 */
	private procfsValue(e: A.TargetSymbol, sc: Scope, write: boolean): P.VarRef | null {
		const t = sc.targets?.get(e.name);
		if (t?.source.kind !== 'procfs_value' || e.components.length > 0 || e.addressof) return null;
		if (write && !t.source.writable) this.fail('procfs $value variable cannot be written in a procfs write probe', e.tok);
		if (!write && t.source.writable) this.fail('procfs $value variable cannot be read in a procfs read probe', e.tok);
		sc.usedTargets.set(t.name, t);
		return { kind: 'var', tok: e.tok, type: 'string', variable: t };
	}

	private markRead(r: P.VarRef, sc: Scope): void {
		if (r.variable.kind === 'global') r.variable.read = true;
		else if (r.variable.kind === 'local') sc.localReads.add(r.variable);
	}

	private assignment(e: A.Assignment, sc: Scope): P.Expr {
		const value = this.expr(e.right, sc);
		const target = this.lvalue(e.left, sc, e.op !== '=' && e.op !== '<<<');
		if (e.op === '<<<') {
			this.recordStat(target, () => undefined);
			return { kind: 'assign', tok: e.tok, type: 'long', op: e.op, target, value };
		}
		const type: P.ExprType = e.op === '=' ? 'unknown' : e.op === '.=' ? 'string' : 'long';
		return { kind: 'assign', tok: e.tok, type, op: e.op, target, value };
	}

	/** `wildcards`: `delete a[1, *]` may leave keys out (null keys in the IndexRef; see DeleteStmt). */
	private arrayIndex(e: A.ArrayIndex, sc: Scope, write: boolean, wildcards = false): P.IndexRef | P.HistBucket {
		if (e.base.kind === 'hist_op') {
			if (e.indexes.length !== 1 || e.indexes[0] === null) this.fail('a histogram bucket takes one index', e.tok);
			const hist = this.histOp(e.base, sc);
			return { kind: 'hist_bucket', tok: e.tok, type: 'long', hist, bucket: this.expr(e.indexes[0]!, sc) };
		}
		if (!wildcards && e.indexes.some((k) => k === null)) this.fail('wildcard indexes are only allowed with "in", foreach and delete', e.tok);
		const array = this.arrayOf(sc, e.base, e.indexes.length, write);
		const keys = e.indexes.map((k) => (k === null ? null : this.expr(k, sc))) as P.Expr[];
		return { kind: 'index', tok: e.tok, type: array.type === 'unknown' ? 'unknown' : array.type, array, keys };
	}

	private statOperand(e: A.Expression, sc: Scope): P.VarRef | P.IndexRef {
		if (e.kind === 'symbol') return this.scalarRef(sc, e, false);
		if (e.kind === 'arrayindex') {
			const r = this.arrayIndex(e, sc, false);
			if (r.kind === 'index') return r;
		}
		return this.fail('expected a statistic (a global or an element of a global array)', e.tok);
	}

	private recordStat(ref: P.LValue, update: (u: P.StatUsage) => void): void {
		const g = ref.kind === 'index' ? ref.array : ref.variable.kind === 'global' ? ref.variable : null;
		if (!g) this.fail('stat locals not supported, missing global declaration?', ref.tok);
		const w = g as { stats: P.StatUsage | null };
		w.stats ??= emptyStats();
		update(w.stats);
	}

	private histOp(e: A.HistOp, sc: Scope): P.HistExpr {
		if (e.htype === 'linear') checkLinearBuckets(e.params[0]!, e.params[1]!, e.params[2]!, (m) => this.fail(m, e.tok));
		const stat = this.statOperand(e.stat, sc);
		this.recordStat(stat, (u) => {
			if (e.htype === 'log') u.histLog = true;
			else if (!u.histLinear.some((h) => h.lo === e.params[0] && h.hi === e.params[1] && h.step === e.params[2])) {
				u.histLinear.push({ lo: e.params[0]!, hi: e.params[1]!, step: e.params[2]! });
			}
		});
		return { kind: 'hist', tok: e.tok, type: 'unknown', htype: e.htype, stat, params: e.params };
	}

	private printFormat(e: A.PrintFormat, sc: Scope): P.Expr {
		const args = e.args.map((a) => this.expr(a, sc));
		const hist = e.hist ? this.histOp(e.hist, sc) : null;
		return {
			kind: 'print', tok: e.tok, type: e.printToStream ? 'unknown' : 'string', name: e.printFormatType,
			toStream: e.printToStream, format: e.printWithFormat ? e.components : null,
			...(e.printWithFormat ? { rawFormat: e.rawComponents } : {}),
			delimiter: e.printWithDelim ? e.delimiter : e.printChar ? '' : null, newline: e.printWithNewline, args, hist,
		};
	}

	// ------------------------------------------------------------ functions

	private call(e: A.FunctionCall, sc: Scope): P.Expr {
		const args = e.args.map((a) => this.expr(a, sc));
		const asRead = charArrayRead(e.function, args);
		if (asRead) return asRead;
		const candidates = this.table.functions.get(e.function);
		if (!candidates) {
			const sugs = similarNames(e.function, this.table.functions.keys());
			this.fail(withSimilar(`unresolved function ${e.function}`, sugs), e.tok);
		}
		// The user's own functions (priority 0) come first and override the library's.
		const fitting = candidates.filter((c) => c.decl.formalArgs.length === args.length);
		if (fitting.length === 0) {
			const last = candidates[candidates.length - 1]!.decl;
			this.fail(`arity mismatch found (function '${e.function}' takes ${last.formalArgs.length} args)`, e.tok, last.tok);
		}
		const callee = this.functionDef(fitting[0]!);
		return { kind: 'call', tok: e.tok, type: callee.returnType, callee, args };
	}

	private functionDef(f: LibraryFunction): P.FunctionDef {
		const existing = this.functionDefs.get(f.decl);
		if (existing) return existing;
		const d = f.decl;
		const params = new Map<string, P.ParamVar>();
		const paramList = d.formalArgs.map((a, index): P.ParamVar => {
			const p: P.ParamVar = { kind: 'param', name: a.unmangledName, type: a.type === 'unknown' || a.type === 'stats' ? 'unknown' : a.type, index, tok: a.tok };
			params.set(p.name, p);
			return p;
		});
		let body: P.FunctionBody;
		const statements: P.Stmt[] = [];
		const locals: P.LocalVar[] = [];
		if (d.body.kind === 'embeddedcode') {
			body = d.body.code.includes('/* runtime */')
				? { kind: 'runtime', operation: d.unmangledName }
				: { kind: 'embedded', code: d.body.code };
		} else {
			body = { kind: 'script', block: { kind: 'block', tok: d.body.tok, statements }, locals };
		}
		const def: P.FunctionDef = {
			name: d.unmangledName, mangledName: d.name, params: paramList,
			returnType: d.type === 'unknown' || d.type === 'stats' ? 'unknown' : d.type, body, fromTapset: f.fromTapset, tok: d.tok,
		};
		this.functionDefs.set(d, def);
		if (d.body.kind === 'block') {
			this.functionScopes.set(def, newScope(null, params));
			this.pendingFunctions.push([d, def]);
		}
		return def;
	}

	/** Translate the bodies of the functions reached so far (and those they reach). */
	drainFunctions(): void {
		for (let next = this.pendingFunctions.shift(); next; next = this.pendingFunctions.shift()) {
			const [d, def] = next;
			const sc = this.functionScopes.get(def)!;
			if (def.body.kind !== 'script') continue;
			try {
				def.body.block.statements.push(...this.block(d.body as A.Block, sc).statements);
			} catch (e) {
				if (!(e instanceof SemanticError)) throw e;
				this.errors.push(e);
			}
			def.body.locals.push(...sc.locals.values());
		}
	}

	// ------------------------------------------------------------ statements

	block(b: A.Block, sc: Scope): P.Block {
		const statements: P.Stmt[] = [];
		for (const s of b.statements) {
			try {
				statements.push(this.stmt(s, sc));
			} catch (e) {
				if (!(e instanceof SemanticError)) throw e;
				this.errors.push(e);
			}
		}
		return { kind: 'block', tok: b.tok, statements };
	}

	stmt(s: A.Statement, sc: Scope): P.Stmt {
		switch (s.kind) {
			case 'block': return this.block(s, sc);
			case 'try_block': {
				const errorVar = s.catchErrorVar ? this.local(sc, s.catchErrorVar.name, s.catchErrorVar.tok) : null;
				if (errorVar) {
					errorVar.type = 'string';
					sc.localWrites.add(errorVar);
				}
				return { kind: 'try', tok: s.tok, body: this.block(s.tryBlock, sc), errorVar, handler: this.block(s.catchBlock, sc) };
			}
			case 'embeddedcode':
				if (!this.guru && !this.isTapsetToken(s.tok)) this.fail('embedded code may only be used in guru mode', s.tok);
				return { kind: 'embedded', tok: s.tok, code: s.code };
			case 'null_statement': return { kind: 'null', tok: s.tok };
			case 'expr_statement': return { kind: 'expr', tok: s.tok, expr: this.expr(s.value, sc) };
			case 'if_statement': {
				const c = this.constantCondition(s.condition, sc);
				if (c === true) return this.stmt(s.thenblock, sc);
				if (c === false) return s.elseblock ? this.stmt(s.elseblock, sc) : { kind: 'null', tok: s.tok };
				return { kind: 'if', tok: s.tok, cond: this.expr(s.condition, sc), then: this.stmt(s.thenblock, sc), otherwise: s.elseblock ? this.stmt(s.elseblock, sc) : null };
			}
			case 'for_loop':
				return {
					kind: 'for', tok: s.tok, init: s.init ? this.expr(s.init.value, sc) : null, cond: this.expr(s.cond, sc),
					incr: s.incr ? this.expr(s.incr.value, sc) : null, body: this.stmt(s.block, sc),
				};
			case 'foreach_loop': return this.foreach(s, sc);
			case 'return_statement':
				if (!sc.params) this.fail('return not allowed in a probe', s.tok);
				return { kind: 'return', tok: s.tok, value: s.value ? this.expr(s.value, sc) : null };
			case 'delete_statement': return this.deleteStmt(s, sc);
			case 'next_statement': return { kind: 'next', tok: s.tok };
			case 'break_statement': return { kind: 'break', tok: s.tok };
			case 'continue_statement': return { kind: 'continue', tok: s.tok };
		}
	}

	private foreach(s: A.ForeachLoop, sc: Scope): P.ForeachStmt {
		let array: P.GlobalVar | P.HistExpr;
		if (s.base.kind === 'hist_op') array = this.histOp(s.base, sc);
		else array = this.arrayOf(sc, s.base, s.indexes.length, false);
		const loopVar = (r: A.SymbolRef): P.LocalVar => {
			const v = this.variable(sc, r.name, r.tok);
			if (v.kind !== 'local') this.fail('foreach iteration variables must be locals', r.tok);
			sc.localWrites.add(v);
			return v;
		};
		const keyVars = s.indexes.map(loopVar);
		const valueVar = s.value ? loopVar(s.value) : null;
		if (array.kind === 'hist' && keyVars.length !== 1) this.fail('a histogram has one index', s.tok);
		return {
			kind: 'foreach', tok: s.tok, array, keyVars, valueVar,
			slice: s.arraySlice.map((k) => (k === null ? null : this.expr(k, sc))),
			sortDirection: s.sortDirection, sortColumn: s.sortColumn, sortAggregate: s.sortAggr,
			limit: s.limit ? this.expr(s.limit, sc) : null, body: this.stmt(s.block, sc),
		};
	}

	/** `delete NAME`: the whole array, or the scalar (a local, or a global used without keys). */
	private deleteTarget(v: P.Variable, ref: A.SymbolRef, sc: Scope): P.DeleteStmt['target'] {
		if (v.kind !== 'global' || this.arity.get(v) === 0) return this.scalarRef(sc, ref, true);
		if ((this.arity.get(v) ?? -1) === -1) this.fail('unresolved array in delete statement', ref.tok);
		v.written = true;
		return { kind: 'array', array: v, tok: ref.tok };
	}

	/**
	 * Decides the deletes of globals not yet used when they were read (stap
	 * types a program as a whole, so `delete a` may come before `a[k] = v`);
	 * call once every probe and function body is translated.
	 */
	resolveDeletes(): void {
		for (const resolve of this.pendingDeletes.splice(0)) {
			try {
				resolve();
			} catch (e) {
				if (!(e instanceof SemanticError)) throw e;
				this.errors.push(e);
			}
		}
	}

	private deleteStmt(s: A.DeleteStatement, sc: Scope): P.DeleteStmt {
		const v = s.value;
		if (v.kind === 'arrayindex') {
			const r = this.arrayIndex(v, sc, true, true);
			if (r.kind !== 'index') this.fail('cannot delete a histogram bucket', v.tok);
			return { kind: 'delete', tok: s.tok, target: r };
		}
		if (v.kind === 'symbol') {
			const g = this.variable(sc, v.name, v.tok);
			if (g.kind === 'global' && (this.arity.get(g) ?? -1) === -1) {
				// `delete a` before any use of `a` says what it is: decided once every body is read
				const stmt: { kind: 'delete'; tok: Token; target: P.DeleteStmt['target'] } = { kind: 'delete', tok: s.tok, target: { kind: 'array', array: g, tok: v.tok } };
				this.pendingDeletes.push(() => (stmt.target = this.deleteTarget(g, v, sc)));
				return stmt;
			}
			return { kind: 'delete', tok: s.tok, target: this.deleteTarget(g, v, sc) };
		}
		return this.fail('delete needs a variable or an array (element)', v.tok);
	}
}

/** The targets that resolve names beyond their fixed ones (arguments with member chains), if these are such. */
function argumentTargets(targets: Map<string, P.TargetVar> | null): TracepointTargets | FunctionArgs | UserFunctionArgs | null {
	return targets instanceof TracepointTargets ? targets : parameterTargets(targets);
}

/** A probed function's parameters (kernel: BTF; user space: DWARF), whose return probes see their entry values. */
function parameterTargets(targets: Map<string, P.TargetVar> | null): FunctionArgs | UserFunctionArgs | null {
	return targets instanceof FunctionArgs || targets instanceof UserFunctionArgs ? targets : null;
}

/** The string readers a char array member is passed to in stap, and whose memory each reads (user: true). */
const STRING_READERS: Readonly<Record<string, boolean>> = { kernel_string: false, user_string: true };

/**
 * stap reads a char array member (`$next->comm`, `@cast(t, "task_struct")->comm`)
 * or a tracepoint's char array field (`$next_comm`) as its address, which
 * scripts then give to kernel_string() or user_string(); tapfleet reads it
 * as the string already, so such a call (with or without its error-message
 * argument) is the member itself.
 */
function charArrayRead(fn: string, args: readonly P.Expr[]): P.Expr | null {
	const user = STRING_READERS[fn];
	const a = args[0];
	if (user === undefined || !a || args.length > 2) return null;
	if (a.kind === 'member') return a.string && !user ? a : null;
	if (a.kind !== 'var' || a.variable.kind !== 'target') return null;
	const s = a.variable.source;
	// a tracepoint's char array field ($next_comm), or its __data_loc string, is in the kernel's record
	if (s.kind === 'tracepoint_field') return s.charArray && !user ? a : null;
	const chain = (s.kind === 'tp_arg' || s.kind === 'call_arg') && s.string && s.steps.length > 0;
	return chain && (s.user ?? false) === user ? a : null;
}
