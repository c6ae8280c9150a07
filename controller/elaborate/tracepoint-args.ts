// A tracepoint's TP_PROTO arguments as target variables, stap's form of
// kernel.trace variables: `$next`, `$next->pid`, `$next->comm`,
// `$bprm->file->f_flags`. Their names and types come from the target's
// BTF in its profile (the `btf_trace_EVENT` typedef has the types, the
// event class's `__bpf_trace_CLASS` function the names); a member chain
// becomes byte offsets with a pointer load between them, read in the
// kernel with fault-safe copies (the bpf runtime attaches a probe that
// reads them as a raw tracepoint).
//
// The fields of the event's format file keep their names: where an
// argument has a field's name (`$prev_state`), the field wins.
import type { TargetSymbolComponent } from '../parse/ast.js';
import { profileBtf } from '../profile/btf.js';
import type { KernelProfile, Tracepoint } from '../profile/types.js';
import { BTF_KIND, BtfTypes } from './btf-types.js';
import { type Chain, followMembers } from './member-chain.js';
import { type ArgumentChainAt, KernelArgs } from './kernel-args.js';
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

/** The target variables of one tracepoint: its fields, then, on demand, its arguments. */
export class TracepointTargets extends KernelArgs {
	constructor(fields: Map<string, TargetVar>, private readonly tp: Tracepoint, private readonly profile: KernelProfile) {
		super(fields);
	}

	/** The argument's index and the member chain followed from it; null when $name is not an argument. */
	protected chain(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): ArgumentChainAt | null {
		const btf = btfOf(this.profile);
		if (!btf) return null;
		const params = protoParams(btf, this.tp);
		if (typeof params === 'string') return null;
		const index = params.findIndex((p) => `$${p.name}` === name);
		if (index < 0) return null;
		if (index > 5) throw new SemanticError(`${name} is argument ${index + 1} of ${this.tp.system}:${this.tp.name}; only the first 6 are reachable`, tok);
		// byte offsets; a pointer is loaded between two of them
		const chain: Chain = { steps: [], type: params[index]!.type, spelled: name };
		followMembers(btf, chain, components, 'a tracepoint argument');
		return { btf, base: { kind: 'tp_arg', index }, chain };
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
}
