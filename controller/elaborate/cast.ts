// @cast(PTR, "TYPE" [, "MODULE"])->member...: PTR as a pointer to a kernel
// type, the type and its members taken from the target's BTF (where stap
// reads DWARF debuginfo). The module must be the kernel ("kernel", or
// stap's "kernel<linux/sched.h>" form: the header changes nothing here).
import type { CastOp } from '../parse/ast.js';
import { BTF_KIND, type BtfTypes } from './btf-types.js';
import { SemanticError } from './diagnostics.js';
import { type Chain, followMembers, type Leaf, leafOf } from './member-chain.js';

export interface CastChain {
	/** Byte offsets from the pointer, a pointer loaded between two of them. */
	readonly steps: number[];
	/** How to read the member reached; null with `&` (the value is its address). */
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

export function resolveCast(btf: BtfTypes, e: CastOp): CastChain {
	if (e.module !== '' && !/^kernel(<.*>)?$/.test(e.module)) {
		throw new SemanticError(`@cast: types of '${e.module}' are not known; tapfleet reads the kernel's types from its BTF`, e.tok);
	}
	const type = typeNamed(btf, e.typeName);
	if (type === null) throw new SemanticError(`@cast: the kernel's BTF has no type '${e.typeName}'`, e.tok);
	// the object the pointer points at: one step of offset 0 from it
	const chain: Chain = { steps: [0], type, spelled: `@cast(..., "${e.typeName}")` };
	let components = e.components;
	const first = components[0];
	if (first?.kind === 'literal_index') {
		// @cast(p, "T")[i]: the i-th T from p, as C's ((T *)p)[i]
		chain.steps[0] = Number(first.index) * btf.sizeOf(type);
		chain.spelled += `[${first.index}]`;
		components = components.slice(1);
	}
	followMembers(btf, chain, components, '@cast');
	// &@cast(p, "T") is p itself (container_of.stpm's form); with members, the member's address
	if (e.addressof) return { steps: chain.steps, leaf: null };
	return { steps: chain.steps, leaf: leafOf(btf, chain, e.tok) };
}
