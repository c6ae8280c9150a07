// @cast(PTR, "TYPE" [, "MODULE"])->member...: PTR as a pointer to a kernel
// type, the type and its members taken from the target's BTF (where stap
// reads DWARF debuginfo). The module must be the kernel ("kernel", or
// stap's "kernel<linux/sched.h>" form: the header changes nothing here).
import type { CastOp, Expression, TargetSymbolComponent } from '../parse/ast.js';
import { BTF_KIND, type BtfTypes } from './btf-types.js';
import { SemanticError } from './diagnostics.js';
import { type Chain, followMembers, type Leaf, leafOf } from './member-chain.js';

/**
 * The reads of a @cast chain, one segment per index computed at run time
 * (`@cast(p, "T")->fdt->fd[fd]->f_op`): each segment but the last gives
 * an address (an array's, or a pointer loaded from its steps' end), to
 * which `index` times the element's size is added: the next segment's base.
 */
export interface CastSegment {
	/** Byte offsets from the segment's base, a pointer loaded between two of them. */
	readonly steps: number[];
	/** Before the last segment: the index and the element's size; `load`: the steps end at a pointer to load (else at an array). */
	readonly next: { readonly index: Expression; readonly scale: number; readonly load: boolean } | null;
	/** The last segment: how to read the member reached; null with `&` (the value is its address). */
	readonly leaf: Leaf | null;
}

/** The BTF type `name` names: "task_struct" or "struct task_struct", "union futex_key", a typedef. */
function typeNamed(btf: BtfTypes, name: string): number | null {
	const m = /^(struct|union|enum)\s+(\w+)$/.exec(name.trim());
	const wanted = m ? [m[1] === 'struct' ? BTF_KIND.STRUCT : m[1] === 'union' ? BTF_KIND.UNION : BTF_KIND.ENUM] : [BTF_KIND.STRUCT, BTF_KIND.UNION, BTF_KIND.TYPEDEF, BTF_KIND.INT];
	const ids = btf.named(m ? m[2]! : name.trim());
	for (const kind of wanted) {
		// a full definition before a forward declaration
		const id = ids.find((i) => btf.types[i]!.kind === kind);
		if (id !== undefined) return id;
	}
	return null;
}

export function resolveCast(btf: BtfTypes, e: CastOp): CastSegment[] {
	if (e.module !== '' && !/^kernel(<.*>)?$/.test(e.module)) {
		throw new SemanticError(`@cast: types of '${e.module}' are not known; tapfleet reads the kernel's types from its BTF`, e.tok);
	}
	const type = typeNamed(btf, e.typeName);
	if (type === null) throw new SemanticError(`@cast: the kernel's BTF has no type '${e.typeName}'`, e.tok);
	return pointerSegments(btf, type, e.components, e.addressof, e.tok, `@cast(..., "${e.typeName}")`);
}

/**
 * The reads of `components` from a pointer to `type` (a @cast's, or a
 * kernel parameter's with an index computed at run time, `$fdt->fd[fd]`),
 * `spelled` as the script wrote the base.
 */
export function pointerSegments(btf: BtfTypes, type: number, given: readonly TargetSymbolComponent[], addressof: boolean,
	tok: CastOp['tok'], spelled: string): CastSegment[] {
	const segments: CastSegment[] = [];
	// the object the pointer points at: one step of offset 0 from it
	let chain: Chain = { steps: [0], type, spelled };
	let components = given;
	const first = components[0];
	if (first?.kind === 'literal_index') {
		// @cast(p, "T")[i]: the i-th T from p, as C's ((T *)p)[i]
		chain.steps[0] = Number(first.index) * btf.sizeOf(type);
		chain.spelled += `[${first.index}]`;
		components = components.slice(1);
	} else if (first?.kind === 'expression_index') {
		segments.push({ steps: [0], next: { index: first.index, scale: btf.sizeOf(type), load: false }, leaf: null });
		chain.spelled += '[...]';
		components = components.slice(1);
	}
	for (;;) {
		const at = components.findIndex((c) => c.kind === 'expression_index');
		followMembers(btf, chain, at < 0 ? components : components.slice(0, at), '@cast');
		if (at < 0) break;
		const c = components[at] as Extract<TargetSymbolComponent, { kind: 'expression_index' }>;
		const t = btf.types[btf.resolve(chain.type)]!;
		// an array's elements follow its address; a pointer's, the address it holds
		const element = t.kind === BTF_KIND.ARRAY ? t.extra[0]! : t.kind === BTF_KIND.PTR ? t.sizeOrType : null;
		if (element === null) throw new SemanticError(`'${chain.spelled}' (${btf.cName(chain.type)}) is not an array or a pointer`, c.tok);
		segments.push({ steps: chain.steps, next: { index: c.index, scale: btf.sizeOf(element), load: t.kind === BTF_KIND.PTR }, leaf: null });
		chain = { steps: [0], type: element, spelled: `${chain.spelled}[...]` };
		components = components.slice(at + 1);
	}
	// &@cast(p, "T") is p itself (container_of.stpm's form); with members, the member's address
	if (addressof && chain.bits) throw new SemanticError(`'${chain.spelled}' is a bitfield, which has no address`, tok);
	segments.push({ steps: chain.steps, next: null, leaf: addressof ? null : leafOf(btf, chain, tok) });
	return segments;
}
