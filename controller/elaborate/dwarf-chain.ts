// A member chain through a user-space program's DWARF types
// (`$req->headers->count`, `$buf[2]`, `$p->name` of a char array), laid out
// as member-chain.ts lays out the kernel's from BTF: byte offsets with a
// pointer loaded between two of them, then how to read the member at the
// end. The reads themselves are of the probed process's memory.
import type { TargetSymbolComponent } from '../parse/ast.js';
import { type Die, DW_ATE_FLOATS, DW_ATE_SIGNED, type DwarfInfo, TAG } from './dwarf-info.js';
import type { Leaf } from './member-chain.js';
import { SemanticError, UnreadableMemberError } from './diagnostics.js';

/** A chain followed so far: as member-chain.ts's Chain, types as DIE offsets. */
export interface DwarfChain {
	steps: number[];
	type: number | undefined;
	spelled: string;
}

const QUALIFIERS: ReadonlySet<number> = new Set([TAG.typedef, TAG.const, TAG.volatile, TAG.restrict, TAG.atomic]);
const AGGREGATES: ReadonlySet<number> = new Set([TAG.structure, TAG.union, TAG.class]);
const POINTERS: ReadonlySet<number> = new Set([TAG.pointer, TAG.reference, TAG.rvalueReference]);

/** The type at `offset` without typedefs and qualifiers. */
export function resolveType(d: DwarfInfo, offset: number | undefined): Die | undefined {
	let t = offset === undefined ? undefined : d.dies.get(offset);
	for (let i = 0; t && QUALIFIERS.has(t.tag) && i < 32; i++) t = t.type === undefined ? undefined : d.dies.get(t.type);
	return t;
}

/** A type's name as C writes it, for messages. */
export function typeName(d: DwarfInfo, offset: number | undefined, depth = 0): string {
	const t = offset === undefined ? undefined : d.dies.get(offset);
	if (!t || depth > 16) return 'void';
	if (POINTERS.has(t.tag)) return `${typeName(d, t.type, depth + 1)} *`;
	if (t.tag === TAG.const || t.tag === TAG.volatile || t.tag === TAG.restrict || t.tag === TAG.atomic) return typeName(d, t.type, depth + 1);
	if (t.tag === TAG.array) return `${typeName(d, t.type, depth + 1)}[${t.count ?? ''}]`;
	const kind = t.tag === TAG.structure ? 'struct ' : t.tag === TAG.union ? 'union ' : t.tag === TAG.enumeration ? 'enum ' : '';
	return `${kind}${t.name ?? '(anonymous)'}`;
}

function sizeOf(d: DwarfInfo, offset: number | undefined, depth = 0): number {
	const t = resolveType(d, offset);
	if (!t || depth > 16) return 0;
	if (POINTERS.has(t.tag)) return 8;
	if (t.tag === TAG.array) return (t.count ?? 0) * sizeOf(d, t.type, depth + 1);
	return t.byteSize ?? 0;
}

/** A member of an aggregate by name, looking into anonymous ones; its offset. */
function findMember(d: DwarfInfo, aggregate: Die, name: string, depth = 0): { type: number | undefined; offset: number; bitField: boolean } | null {
	for (const m of (aggregate.members ?? []).map((o) => d.dies.get(o)!)) {
		if (m.name === name) return { type: m.type, offset: m.memberOffset ?? 0, bitField: !!m.bitField };
		const inner = m.name === undefined ? resolveType(d, m.type) : undefined;
		if (inner && AGGREGATES.has(inner.tag) && depth < 8) {
			const found = findMember(d, inner, name, depth + 1);
			if (found) return { ...found, offset: found.offset + (m.memberOffset ?? 0) };
		}
	}
	return null;
}

/** Follows `components` from `chain` (changed in place); a SemanticError at the component that cannot be followed. */
export function followDwarfMembers(d: DwarfInfo, chain: DwarfChain, components: readonly TargetSymbolComponent[]): void {
	const { steps } = chain;
	for (const c of components) {
		const t = resolveType(d, chain.type);
		const here = () => `'${chain.spelled}' (${typeName(d, chain.type)})`;
		if (c.kind === 'struct_member') {
			const pointer = !!t && POINTERS.has(t.tag);
			const aggregate = pointer ? resolveType(d, t!.type) : t;
			if (!aggregate || !AGGREGATES.has(aggregate.tag) || (!pointer && steps.length === 0)) {
				throw new SemanticError(`${here()} is not a struct or union, or a pointer to one`, c.tok);
			}
			const m = findMember(d, aggregate, c.member);
			if (!m) throw new SemanticError(`${typeName(d, aggregate.offset)} has no member '${c.member}'`, c.tok);
			if (m.bitField) throw new UnreadableMemberError(`'${chain.spelled}->${c.member}' is a bitfield, which is not supported`, c.tok);
			if (pointer) steps.push(m.offset);
			else steps[steps.length - 1]! += m.offset;
			chain.type = m.type;
			chain.spelled += `->${c.member}`;
		} else if (c.kind === 'literal_index') {
			const i = Number(c.index);
			if (t && t.tag === TAG.array && steps.length > 0) {
				steps[steps.length - 1]! += i * sizeOf(d, t.type);
				chain.type = t.type;
			} else if (t && POINTERS.has(t.tag)) {
				steps.push(i * sizeOf(d, t.type));
				chain.type = t.type;
			} else {
				throw new SemanticError(`${here()} is not an array or a pointer`, c.tok);
			}
			chain.spelled += `[${i}]`;
		} else {
			throw new SemanticError(`${c.kind === 'pretty_print' ? 'pretty printing ($)' : 'an index computed at run time'} of a parameter is not supported`, c.tok);
		}
	}
}

/** What the chain ends at, as a value: an integer, enum or pointer (long), or a char array (string). */
export function dwarfLeaf(d: DwarfInfo, chain: DwarfChain, tok: SemanticError['tok']): Leaf {
	const t = resolveType(d, chain.type);
	const cType = typeName(d, chain.type);
	if (t && (t.tag === TAG.baseType || t.tag === TAG.enumeration) && (t.byteSize ?? 8) <= 8 && !DW_ATE_FLOATS.has(t.encoding ?? 0)) {
		// an enum is signed where its underlying type says so
		const encoding = t.tag === TAG.baseType ? t.encoding ?? 0x05 : resolveType(d, t.type)?.encoding;
		const signed = encoding !== undefined && DW_ATE_SIGNED.has(encoding);
		return { type: 'long', cType, pointer: false, size: t.byteSize ?? 8, signed, string: false };
	}
	if (t && POINTERS.has(t.tag)) return { type: 'long', cType, pointer: true, size: 8, signed: false, string: false };
	const elem = t && t.tag === TAG.array ? resolveType(d, t.type) : undefined;
	if (elem && elem.tag === TAG.baseType && elem.byteSize === 1 && chain.steps.length > 0) {
		return { type: 'string', cType, pointer: false, size: 0, signed: false, string: true };
	}
	throw new SemanticError(`'${chain.spelled}' is ${cType}: name a member of it`, tok);
}
