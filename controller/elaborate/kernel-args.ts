// What kernel.function parameters (function-args.ts) and tracepoint
// arguments (tracepoint-args.ts) share: each locates `$name` (its register
// or argument slot) and follows a member chain from it through the
// target's BTF; reading the chain, its address (`&$p->x`) and what the
// argument points to (for an index computed at run time) are the same.
import type { TargetSymbolComponent } from '../parse/ast.js';
import type { BtfTypes } from './btf-types.js';
import type { SemanticError } from './diagnostics.js';
import { type Chain, leafOf, type MemberAddress, memberAddress, pointeeOf } from './member-chain.js';
import type { TargetVar } from './program.js';

/** Where an argument is read from, and the chain followed from it. */
export interface ArgumentChainAt {
	readonly btf: BtfTypes;
	readonly base: { readonly kind: 'call_arg' | 'tp_arg'; readonly index: number };
	readonly chain: Chain;
}

export abstract class KernelArgs extends Map<string, TargetVar> {
	/** `$name` and `components` followed from it; null when $name is not one of these arguments. */
	protected abstract chain(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): ArgumentChainAt | null;

	/**
	 * `$name` followed by `components`, when $name is one of these
	 * arguments (null when it is not); a SemanticError at the component
	 * that cannot be followed, or when the argument cannot be read.
	 */
	argument(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): TargetVar | null {
		const found = this.chain(name, components, tok);
		if (!found) return null;
		const leaf = leafOf(found.btf, found.chain, tok);
		const source = { ...found.base, steps: found.chain.steps, size: leaf.size, signed: leaf.signed, string: leaf.string, ...(leaf.bits ? { bits: leaf.bits } : {}) };
		return { kind: 'target', name: found.chain.spelled, type: leaf.type, cType: leaf.cType, pointer: leaf.pointer, source };
	}

	/** What $name points to (its BTF type), for an index computed at run time; null when $name is not one of these. */
	pointee(name: string, tok: SemanticError['tok']): number | null {
		const found = this.chain(name, [], tok);
		return found && pointeeOf(found.btf, found.chain, tok);
	}

	/** `&$name->member...`: the pointer the last member is in, and the member's offset in what it points to. */
	addressOf(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): MemberAddress | null {
		const found = this.chain(name, components, tok);
		return found && memberAddress(found.base, found.chain, tok);
	}
}
