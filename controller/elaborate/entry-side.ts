// @entry(EXPR) in a return probe: EXPR is evaluated when the function or
// syscall is entered, and its value used when it returns. As stap does for
// return probes without kretprobe data, the value is kept per thread in a
// global array: a probe on the matching entry event (sys_enter_X for
// sys_exit_X, the kprobe or uprobe of the same place) stores EXPR under
// tid(), and the return probe takes it out (read into a local, then
// deleted, first thing in its body, so that the array holds only calls in
// flight). The same program then runs on both runtimes.
import type * as A from '../parse/ast.js';
import type { Token } from '../parse/token.js';
import type { KernelProfile } from '../profile/types.js';
import { SemanticError } from './diagnostics.js';
import { matchPrimitive } from './primitives.js';
import type * as P from './program.js';

/** True for the events of return probes: @entry belongs to them alone. */
export function isReturnEvent(e: P.ProbeEvent): boolean {
	if (e.kind === 'tracepoint') return e.system === 'syscalls' && e.event.startsWith('sys_exit_');
	if (e.kind === 'raw_tracepoint') return e.event === 'sys_exit';
	return (e.kind === 'kprobe' || e.kind === 'uprobe') && e.isReturn;
}

/** The entry point of a return event, as a probe point matchPrimitive resolves; null for an event without one. */
function entryPoint(e: P.ProbeEvent, tok: Token): A.ProbePoint | null {
	const component = (functor: string, arg: string | null): A.ProbePointComponent => ({
		tok, functor, arg: arg === null ? null : { kind: 'literal_string', tok, value: arg },
	});
	const point = (...components: A.ProbePointComponent[]): A.ProbePoint => ({ components, optional: false, sufficient: false, condition: null, autoPath: null });
	if (e.kind === 'tracepoint' && e.system === 'syscalls' && e.event.startsWith('sys_exit_')) {
		return point(component('kernel', null), component('trace', `syscalls:sys_enter_${e.event.slice('sys_exit_'.length)}`));
	}
	if (e.kind === 'kprobe' && e.isReturn && !e.offset) return point(component('kernel', null), component('function', e.symbol));
	if (e.kind === 'uprobe' && e.isReturn && e.symbol) {
		const file = component('process', null);
		file.arg = { kind: 'literal_string', tok, value: e.path };
		return point(file, component('function', e.symbol));
	}
	return null;
}

/** One @entry value: the array that carries it from entry to return. */
export interface EntrySave {
	readonly array: string;
	/** `array[tid()] = EXPR`, elaborated in the entry probe's scope. */
	store: P.Stmt | null;
	/** In the return probe: `array_value = array[tid()]`, then `delete array[tid()]`. */
	take: P.Stmt | null;
	drop: P.Stmt | null;
}

/**
 * After pass 2's elision: the values whose local nothing reads any more
 * (an alias's `pos = $pos` that the script never uses) are neither stored
 * at entry nor taken at return; the names of their arrays, which no code
 * uses now.
 */
export function pruneEntrySaves(side: EntrySide, returning: P.ConcreteProbe, entry: P.ConcreteProbe): Set<string> {
	const gone = new Set<string>();
	const body = returning.body.statements;
	for (const save of side.saves) {
		if (save.take && body.includes(save.take)) continue;
		gone.add(save.array);
		body.splice(0, body.length, ...body.filter((s) => s !== save.drop));
		entry.body.statements.splice(0, entry.body.statements.length, ...entry.body.statements.filter((s) => s !== save.store));
	}
	return gone;
}

/** The entry side of one return probe, made when its first @entry is met. */
export class EntrySide {
	readonly saves: EntrySave[] = [];
	/** Statements that open the return probe's body: each value read into its local, its element deleted. */
	readonly prologue: P.Stmt[] = [];
	private resolved: { event: P.ProbeEvent; point: string; targets: Map<string, P.TargetVar> } | null = null;

	constructor(
		private readonly returnEvent: P.ProbeEvent,
		private readonly profile: KernelProfile,
		/** Names the arrays apart from every other probe's. */
		private readonly prefix: string,
	) {}

	/** The entry event and its target variables; a SemanticError at `tok` when this return probe has none. */
	entry(tok: Token): { event: P.ProbeEvent; point: string; targets: Map<string, P.TargetVar> } {
		if (this.resolved) return this.resolved;
		const pp = entryPoint(this.returnEvent, tok);
		const match = pp ? matchPrimitive(pp, this.profile) : null;
		if (!match || match.length !== 1) throw new SemanticError('@entry is not supported in this kind of return probe yet (syscall, kernel.function and process(...).function returns are)', tok);
		this.resolved = match[0]!;
		return this.resolved;
	}

	/** A new array name for one more @entry. */
	nextArray(): string {
		return `__tapfleet_entry_${this.prefix}_${this.saves.length}`;
	}
}

/** The synthetic AST of `NAME[tid()]`. */
export function byThread(name: string, tok: Token): A.ArrayIndex {
	return { kind: 'arrayindex', tok, base: { kind: 'symbol', tok, name }, indexes: [{ kind: 'functioncall', tok, function: 'tid', args: [] }] };
}

/** The declaration of an @entry array (a user-script global, so that no tapset's private names clash). */
export function entryArrayDecl(name: string, tok: Token): A.VarDecl {
	return { kind: 'vardecl', tok, name: `__global_${name}`, unmangledName: name, type: 'unknown', wrap: false, maxsize: 0, arity: -1, init: null, isPrivate: false, systemtapVConditional: null };
}
