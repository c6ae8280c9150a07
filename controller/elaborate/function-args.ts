// A probed kernel function's parameters as target variables, stap's form
// of kernel.function variables: `$file`, `$count`, `$file->f_path.dentry`
// (written `->` as stap does). stap reads them through debuginfo; here
// their names and types come from the function's prototype in the target's
// BTF (FUNC -> FUNC_PROTO), and the value of parameter N is the Nth
// argument register at the kprobe (x86-64's calling convention, for the
// first six integer and pointer parameters). A member chain is laid out as
// a tracepoint argument's (member-chain.ts) and read in the kernel with
// fault-safe copies.
import type { TargetSymbolComponent } from '../parse/ast.js';
import type { KernelProfile } from '../profile/types.js';
import { BTF_KIND, type BtfTypes } from './btf-types.js';
import { type Chain, followMembers } from './member-chain.js';
import { type ArgumentChainAt, KernelArgs } from './kernel-args.js';
import { SemanticError } from './diagnostics.js';
import type { TargetVar } from './program.js';
import { btfOf } from './tracepoint-args.js';

/** Registers that carry arguments (rdi, rsi, rdx, rcx, r8, r9). */
const ARGUMENT_REGISTERS = 6;

interface Param {
	readonly name: string;
	readonly type: number;
}

/** The parameters of kernel function `symbol` from the BTF, or null when it has no prototype there. */
function functionParams(btf: BtfTypes, symbol: string): Param[] | null {
	const fn = btf.named(symbol).find((id) => btf.types[id]!.kind === BTF_KIND.FUNC);
	if (fn === undefined) return null;
	const proto = btf.types[btf.types[fn]!.sizeOrType]!;
	if (proto.kind !== BTF_KIND.FUNC_PROTO) return null;
	return proto.members.map((m) => ({ name: m.name, type: m.type }));
}

/** Whether a parameter of this type takes one integer register (an integer, enum or pointer of at most 8 bytes). */
function inOneRegister(btf: BtfTypes, type: number): boolean {
	const t = btf.types[btf.resolve(type)]!;
	return (t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64 || t.kind === BTF_KIND.PTR) && btf.sizeOf(type) <= 8;
}

/** Whether every scalar in the type is an integer, enum or pointer (the ABI's INTEGER class: no floating point). */
function allInteger(btf: BtfTypes, type: number): boolean {
	const t = btf.types[btf.resolve(type)]!;
	if (t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION) return t.members.every((m) => allInteger(btf, m.type));
	if (t.kind === BTF_KIND.ARRAY) return allInteger(btf, t.extra[0]!);
	return t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64 || t.kind === BTF_KIND.PTR;
}

/**
 * The argument registers a parameter of this type takes before the ones
 * after it: 1 for a scalar; 1 or 2 for a struct or union of at most 16
 * bytes of integers (x86-64 passes sockptr_t, of setsockopt functions,
 * in two), or 0 when the two that it needs are not left (it goes on the
 * stack, and later parameters still take registers); null for other
 * types, whose passing this does not follow.
 */
function registersTaken(btf: BtfTypes, type: number, used: number): number | null {
	if (inOneRegister(btf, type)) return 1;
	const t = btf.types[btf.resolve(type)]!;
	if ((t.kind !== BTF_KIND.STRUCT && t.kind !== BTF_KIND.UNION) || t.sizeOrType > 16 || !allInteger(btf, type)) return null;
	const n = t.sizeOrType > 8 ? 2 : 1;
	return used + n <= ARGUMENT_REGISTERS ? n : 0;
}

/** The target variables of one kprobe: `$return` (return probes), then, on demand, the function's parameters. */
export class FunctionArgs extends KernelArgs {
	constructor(fixed: Map<string, TargetVar>, private readonly symbol: string, private readonly profile: KernelProfile) {
		super(fixed);
	}

	/** `$return` typed as the function returns it (an int's -1 stays -1), where the BTF says. */
	override get(name: string): TargetVar | undefined {
		const t = super.get(name);
		if (name !== '$return' || !t || t.source.kind !== 'return_value' || t.source.size !== undefined) return t;
		const btf = btfOf(this.profile);
		const fn = btf?.named(this.symbol).find((id) => btf.types[id]!.kind === BTF_KIND.FUNC);
		if (!btf || fn === undefined) return t;
		const ret = btf.types[btf.types[fn]!.sizeOrType]!.sizeOrType;
		const r = btf.types[btf.resolve(ret)];
		if (!r || (r.kind !== BTF_KIND.INT && r.kind !== BTF_KIND.ENUM) || r.sizeOrType >= 8) return t;
		const signed = r.kind === BTF_KIND.INT ? (r.extra[0]! >>> 24 & 1) === 1 : r.kindFlag;
		const typed: TargetVar = { ...t, cType: btf.cName(ret), source: { kind: 'return_value', size: r.sizeOrType, signed } };
		super.set(name, typed);
		return typed;
	}

	/** The parameter names, for messages and $$parms (empty without BTF). */
	names(): string[] {
		const btf = btfOf(this.profile);
		const params = btf ? functionParams(btf, this.symbol) : null;
		return params ? params.map((p) => `$${p.name}`) : [];
	}

	/** The parameter's register and the member chain followed from it; null when $name is not a parameter. */
	protected chain(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): ArgumentChainAt | null {
		const btf = btfOf(this.profile);
		if (!btf) return null;
		const params = functionParams(btf, this.symbol);
		const index = params ? params.findIndex((p) => `$${p.name}` === name) : -1;
		if (!params || index < 0) return null;
		if (!inOneRegister(btf, params[index]!.type)) {
			throw new SemanticError(`cannot read ${name} of ${this.symbol}: ${name} is ${btf.cName(params[index]!.type)}, not passed in one integer register`, tok);
		}
		// the register that carries it: the ones the parameters before it took
		let register = 0;
		for (const [at, p] of params.slice(0, index).entries()) {
			const n = registersTaken(btf, p.type, register);
			if (n === null) {
				throw new SemanticError(`cannot read ${name} of ${this.symbol}: parameter ${at + 1} of ${this.symbol} (${btf.cName(p.type)}) comes before it, not passed in integer registers`, tok);
			}
			register += n;
		}
		if (register >= ARGUMENT_REGISTERS) throw new SemanticError(`${name} is parameter ${index + 1} of ${this.symbol}; only the first ${ARGUMENT_REGISTERS} are in registers`, tok);
		const chain: Chain = { steps: [], type: params[index]!.type, spelled: name };
		followMembers(btf, chain, components, 'a function parameter');
		return { btf, base: { kind: 'call_arg', index: register }, chain };
	}
}

/**
 * What `tapfleet list -L` shows for kernel.function("F") (stap -L): its
 * parameters as `$name:C type` from the BTF prototype, and `$return` in a
 * return probe, typed as F returns; empty without BTF.
 */
export function functionTargetList(symbol: string, isReturn: boolean, profile: KernelProfile): string[] {
	const btf = btfOf(profile);
	const fn = btf?.named(symbol).find((id) => btf.types[id]!.kind === BTF_KIND.FUNC);
	if (!btf || fn === undefined) return isReturn ? ['$return:long'] : [];
	const params = (functionParams(btf, symbol) ?? []).map((p) => `$${p.name}:${btf.cName(p.type)}`);
	return isReturn ? [...params, `$return:${btf.cName(btf.types[btf.types[fn]!.sizeOrType]!.sizeOrType)}`] : params;
}
