// A member chain through kernel types (`->signal->tty->name`, `->fd[3]`),
// laid out from the target's BTF: byte offsets with a pointer load between
// two of them, then what the last member is and how to read it. Shared by
// tracepoint arguments ($next->pid) and @cast(ptr, "struct T")->member.
import type { TargetSymbolComponent } from '../parse/ast.js';
import { BTF_KIND, type BtfMember, type BtfTypes } from './btf-types.js';
import { SemanticError, UnreadableMemberError } from './diagnostics.js';
import type { BitField, TargetVar } from './program.js';

/** A chain followed so far: offsets (a pointer is loaded between two), the type reached, as written. */
export interface Chain {
	steps: number[];
	type: number;
	spelled: string;
	/** The chain ends at a bitfield (no component may follow it). */
	bits?: BitField;
}

/** How to read the member at the end of a chain. */
export interface Leaf {
	readonly type: 'long' | 'string';
	readonly cType: string;
	readonly pointer: boolean;
	/** Bytes to read (0 for a string: a char array read up to its NUL). */
	readonly size: number;
	readonly signed: boolean;
	readonly string: boolean;
	readonly bits?: BitField;
}

/** A member of a struct or union, looking into anonymous ones; its offset in bits. */
export function findMember(btf: BtfTypes, id: number, name: string): BtfMember | null {
	for (const m of btf.types[btf.resolve(id)]!.members) {
		if (m.name === name) return m;
		if (!m.name) {
			const inner = btf.types[btf.resolve(m.type)]!;
			if (inner.kind !== BTF_KIND.STRUCT && inner.kind !== BTF_KIND.UNION) continue;
			const found = findMember(btf, m.type, name);
			if (found) return { ...found, bitOffset: found.bitOffset + m.bitOffset };
		}
	}
	return null;
}

/**
 * Follows `components` from `chain` (changed in place). A chain with no
 * steps holds a pointer value; with steps, the address of an object of
 * `chain.type`. `what` names the kind of base in messages.
 */
export function followMembers(btf: BtfTypes, chain: Chain, components: readonly TargetSymbolComponent[], what: string): void {
	const { steps } = chain;
	for (const c of components) {
		const t = btf.types[btf.resolve(chain.type)]!;
		const here = () => `'${chain.spelled}' (${btf.cName(chain.type)})`;
		if (chain.bits) throw new SemanticError(`'${chain.spelled}' is a bitfield: it has no members or elements`, c.tok);
		if (c.kind === 'struct_member') {
			const pointer = t.kind === BTF_KIND.PTR;
			const struct = pointer ? btf.resolve(t.sizeOrType) : btf.resolve(chain.type);
			const sk = btf.types[struct]!.kind;
			if ((sk !== BTF_KIND.STRUCT && sk !== BTF_KIND.UNION) || (!pointer && steps.length === 0)) {
				throw new SemanticError(`${here()} is not a struct or union, or a pointer to one`, c.tok);
			}
			const m = findMember(btf, struct, c.member);
			if (!m) throw new SemanticError(`${btf.cName(struct)} has no member '${c.member}'`, c.tok);
			// a bitfield: the bytes from the one its first bit is in, then shifted (leafOf)
			const bits = m.bitSize || m.bitOffset % 8 ? { shift: m.bitOffset % 8, width: m.bitSize || 8 * btf.sizeOf(m.type) } : undefined;
			const offset = Math.floor(m.bitOffset / 8);
			if (pointer) steps.push(offset);
			else steps[steps.length - 1]! += offset;
			if (bits) chain.bits = bits;
			chain.type = m.type;
			chain.spelled += `->${c.member}`;
		} else if (c.kind === 'literal_index') {
			const i = Number(c.index);
			if (t.kind === BTF_KIND.ARRAY && steps.length > 0) {
				steps[steps.length - 1]! += i * btf.sizeOf(t.extra[0]!);
				chain.type = t.extra[0]!;
			} else if (t.kind === BTF_KIND.PTR) {
				steps.push(i * btf.sizeOf(t.sizeOrType));
				chain.type = t.sizeOrType;
			} else {
				throw new SemanticError(`${here()} is not an array or a pointer`, c.tok);
			}
			chain.spelled += `[${i}]`;
		} else {
			throw new SemanticError(`${c.kind === 'pretty_print' ? 'pretty printing ($)' : 'an index computed at run time'} of ${what} is not supported`, c.tok);
		}
	}
}

/** What the chain ends at, as a value: an integer, enum or pointer (long), or a char array (string). */
export function leafOf(btf: BtfTypes, chain: Chain, tok: SemanticError['tok']): Leaf {
	const cType = btf.cName(chain.type);
	const t = btf.types[btf.resolve(chain.type)]!;
	if (t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64) {
		const signed = t.kind === BTF_KIND.INT ? (t.extra[0]! >>> 24 & 1) === 1 : t.kindFlag;
		if (chain.bits) {
			// the fewest bytes (1, 2, 4, 8) that hold every bit of the field
			const size = [1, 2, 4, 8].find((n) => chain.bits!.shift + chain.bits!.width <= 8 * n);
			if (size === undefined) throw new UnreadableMemberError(`'${chain.spelled}' is a bitfield of ${chain.bits.width} bits that spans 9 bytes, which is not supported`, tok);
			return { type: 'long', cType, pointer: false, size, signed, string: false, bits: chain.bits };
		}
		return { type: 'long', cType, pointer: false, size: t.sizeOrType, signed, string: false };
	}
	if (t.kind === BTF_KIND.PTR) return { type: 'long', cType, pointer: true, size: 8, signed: false, string: false };
	const elem = t.kind === BTF_KIND.ARRAY ? btf.types[btf.resolve(t.extra[0]!)]! : null;
	if (elem && elem.kind === BTF_KIND.INT && elem.sizeOrType === 1 && chain.steps.length > 0) {
		return { type: 'string', cType, pointer: false, size: 0, signed: false, string: true };
	}
	throw new SemanticError(`'${chain.spelled}' is ${cType}: name a member of it`, tok);
}

/** `&$arg->a->b`: the pointer the last member is in (read like a member chain) and the member's offset from it. */
export interface MemberAddress {
	readonly pointer: TargetVar;
	readonly offset: number;
}

/**
 * The address a chain from argument `base` ends at: the chain without its
 * last step, read as a pointer, plus that step (with one step, the
 * argument itself plus it). Null for no step at all: `&$arg` names a
 * register, which has no address.
 */
export function memberAddress(base: { readonly kind: 'call_arg' | 'tp_arg'; readonly index: number }, chain: Chain, tok: SemanticError['tok']): MemberAddress | null {
	if (!chain.steps.length) return null;
	if (chain.bits) throw new SemanticError(`'${chain.spelled}' is a bitfield, which has no address`, tok);
	const source = { ...base, steps: chain.steps.slice(0, -1), size: 8, signed: false, string: false };
	return {
		pointer: { kind: 'target', name: `&${chain.spelled}`, type: 'long', cType: 'unsigned long', pointer: true, source },
		offset: chain.steps[chain.steps.length - 1]!,
	};
}

/** The type a chain's pointer points to, for an index computed at run time; an error where it is no pointer. */
export function pointeeOf(btf: BtfTypes, chain: Chain, tok: SemanticError['tok']): number {
	const t = btf.types[btf.resolve(chain.type)]!;
	if (t.kind !== BTF_KIND.PTR) throw new SemanticError(`${chain.spelled} is ${btf.cName(chain.type)}, not a pointer: an index computed at run time needs one`, tok);
	return t.sizeOrType;
}
