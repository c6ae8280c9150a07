// A tracepoint's TP_PROTO arguments as target variables, stap's form of
// kernel.trace variables: `$next`, `$next->pid`, `$next->comm`,
// `$bprm->file->f_flags`. Their names and types come from the target's
// BTF in its profile (the `btf_trace_EVENT` typedef has the types, the
// event class's `__bpf_trace_CLASS` function the names); a member chain
// becomes byte offsets with a pointer load between them, read in the
// kernel with fault-safe copies (kmod runtime only: the bpf runtime reads
// the event's fields, `$next_pid`).
//
// The fields of the event's format file keep their names: where an
// argument has a field's name (`$prev_state`), the field wins.
import type { TargetSymbolComponent } from '../parse/ast.js';
import { profileBtf } from '../profile/btf.js';
import type { KernelProfile, Tracepoint } from '../profile/types.js';
import { BTF_KIND, type BtfMember, BtfTypes } from './btf-types.js';
import { SemanticError } from './diagnostics.js';
import type { TargetVar } from './program.js';

const parsed = new WeakMap<KernelProfile, BtfTypes | null>();

export function btfOf(profile: KernelProfile): BtfTypes | null {
	if (!parsed.has(profile)) {
		const raw = profileBtf(profile);
		parsed.set(profile, raw ? new BtfTypes(raw) : null);
	}
	return parsed.get(profile)!;
}

interface Param {
	readonly name: string;
	readonly type: number;
}

/**
 * TP_PROTO of `tp` (without the probe's `void *__data`), or a reason why
 * not. An event of a class (DEFINE_EVENT) has no function of its own: its
 * class is the one whose prototype has the same types and whose record
 * (`struct trace_event_raw_CLASS`) has the event's fields.
 */
export function protoParams(btf: BtfTypes, tp: Tracepoint): Param[] | string {
	const event = tp.name;
	const td = btf.named(`btf_trace_${event}`).find((id) => btf.types[id]!.kind === BTF_KIND.TYPEDEF);
	if (td === undefined) return `the kernel's BTF has no btf_trace_${event}`;
	const ptr = btf.types[btf.resolve(td)]!;
	const proto = btf.types[ptr.sizeOrType]!;
	if (ptr.kind !== BTF_KIND.PTR || proto.kind !== BTF_KIND.FUNC_PROTO) return `btf_trace_${event} is not a function pointer`;
	const types = proto.members.slice(1).map((m) => m.type);
	// the typedef's parameters have no names; the class's probe function has them
	const namesOf = (fn: number) => {
		const p = btf.types[btf.types[fn]!.sizeOrType]!.members.slice(1);
		return p.length === types.length && p.every((m, i) => m.type === types[i] && m.name) ? p.map((m) => m.name) : null;
	};
	const own = btf.named(`__bpf_trace_${event}`).find((id) => btf.types[id]!.kind === BTF_KIND.FUNC);
	let names = own !== undefined ? namesOf(own) : null;
	if (!names) {
		const fields = tp.fields.filter((f) => !f.name.startsWith('common_')).map((f) => f.name).join(',');
		const recordFields = (cls: string) => btf.named(`trace_event_raw_${cls}`).map((id) => btf.types[id]!)
			.find((t) => t.kind === BTF_KIND.STRUCT)?.members.map((m) => m.name.replace(/^__data_loc_/, '')).filter((n) => n !== 'ent' && n !== '__data').join(',');
		const candidates = btf.types.flatMap((t, id) => (t.kind === BTF_KIND.FUNC && t.name.startsWith('__bpf_trace_') ? [{ cls: t.name.slice('__bpf_trace_'.length), names: namesOf(id) }] : []))
			.filter((c) => c.names !== null && recordFields(c.cls) === fields);
		const distinct = new Set(candidates.map((c) => c.names!.join(',')));
		if (distinct.size !== 1) return `cannot tell the names of its arguments from the kernel's BTF`;
		names = candidates[0]!.names!;
	}
	return types.map((type, i) => ({ name: names![i]!, type }));
}

/** A member of a struct or union, looking into anonymous ones; its offset in bits. */
function findMember(btf: BtfTypes, id: number, name: string): BtfMember | null {
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

/** The target variables of one tracepoint: its fields, then, on demand, its arguments. */
export class TracepointTargets extends Map<string, TargetVar> {
	constructor(fields: Map<string, TargetVar>, private readonly tp: Tracepoint, private readonly profile: KernelProfile) {
		super(fields);
	}

	/**
	 * `$name` followed by `components`, when $name is an argument of the
	 * tracepoint (null when it is not); a SemanticError at the component
	 * that cannot be followed.
	 */
	argument(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): TargetVar | null {
		const btf = btfOf(this.profile);
		if (!btf) return null;
		const params = protoParams(btf, this.tp);
		if (typeof params === 'string') return null;
		const index = params.findIndex((p) => `$${p.name}` === name);
		if (index < 0) return null;
		if (index > 5) throw new SemanticError(`${name} is argument ${index + 1} of ${this.tp.system}:${this.tp.name}; only the first 6 are reachable`, tok);
		let type = params[index]!.type;
		// byte offsets; a pointer is loaded between two of them
		const steps: number[] = [];
		let spelled = name;
		for (const c of components) {
			const t = btf.types[btf.resolve(type)]!;
			const here = () => `'${spelled}' (${btf.cName(type)})`;
			if (c.kind === 'struct_member') {
				const pointer = t.kind === BTF_KIND.PTR;
				const struct = pointer ? btf.resolve(t.sizeOrType) : btf.resolve(type);
				const sk = btf.types[struct]!.kind;
				if ((sk !== BTF_KIND.STRUCT && sk !== BTF_KIND.UNION) || (!pointer && steps.length === 0)) {
					throw new SemanticError(`${here()} is not a struct or union, or a pointer to one`, c.tok);
				}
				const m = findMember(btf, struct, c.member);
				if (!m) throw new SemanticError(`${btf.cName(struct)} has no member '${c.member}'`, c.tok);
				if (m.bitSize || m.bitOffset % 8) throw new SemanticError(`'${spelled}->${c.member}' is a bitfield, which is not supported`, c.tok);
				if (pointer) steps.push(m.bitOffset / 8);
				else steps[steps.length - 1]! += m.bitOffset / 8;
				type = m.type;
				spelled += `->${c.member}`;
			} else if (c.kind === 'literal_index') {
				const i = Number(c.index);
				if (t.kind === BTF_KIND.ARRAY && steps.length > 0) {
					steps[steps.length - 1]! += i * btf.sizeOf(t.extra[0]!);
					type = t.extra[0]!;
				} else if (t.kind === BTF_KIND.PTR) {
					steps.push(i * btf.sizeOf(t.sizeOrType));
					type = t.sizeOrType;
				} else {
					throw new SemanticError(`${here()} is not an array or a pointer`, c.tok);
				}
				spelled += `[${i}]`;
			} else {
				throw new SemanticError(`${c.kind === 'pretty_print' ? 'pretty printing ($)' : 'an index computed at run time'} of a tracepoint argument is not supported`, c.tok);
			}
		}
		return this.leaf(btf, spelled, index, steps, type, tok);
	}

	/**
	 * Once a probe reads arguments, a name that is both a field and an
	 * argument ($old_pid of sched_process_exec) is the argument, as in
	 * stap: one probe reads one or the other (the kmod runtime gets either
	 * the arguments or the event's record).
	 */
	preferArguments(used: Map<string, TargetVar>): void {
		if (![...used.values()].some((t) => t.source.kind === 'tp_arg')) return;
		for (const t of used.values()) {
			if (t.source.kind !== 'tracepoint_field') continue;
			const arg = this.argument(t.name, [], null);
			if (arg && arg.type === t.type) Object.assign(t as { source: TargetVar['source']; cType: string }, { source: arg.source, cType: arg.cType });
		}
	}

	private leaf(btf: BtfTypes, spelled: string, index: number, steps: number[], type: number, tok: SemanticError['tok']): TargetVar {
		const cType = btf.cName(type);
		const t = btf.types[btf.resolve(type)]!;
		const source = (size: number, signed: boolean, string: boolean) => ({ kind: 'tp_arg' as const, index, steps, size, signed, string });
		if (t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64) {
			const signed = t.kind === BTF_KIND.INT ? (t.extra[0]! >>> 24 & 1) === 1 : t.kindFlag;
			return { kind: 'target', name: spelled, type: 'long', cType, pointer: false, source: source(t.sizeOrType, signed, false) };
		}
		if (t.kind === BTF_KIND.PTR) return { kind: 'target', name: spelled, type: 'long', cType, pointer: true, source: source(8, false, false) };
		const elem = t.kind === BTF_KIND.ARRAY ? btf.types[btf.resolve(t.extra[0]!)]! : null;
		if (elem && elem.kind === BTF_KIND.INT && elem.sizeOrType === 1 && steps.length > 0) {
			return { kind: 'target', name: spelled, type: 'string', cType, pointer: false, source: source(0, false, true) };
		}
		throw new SemanticError(`'${spelled}' is ${cType}: name a member of it`, tok);
	}
}
