// A probed user-space function's parameters as target variables
// (process("PATH").function("f") { $name }), from the program's DWARF:
// stap's $var for uprobes. The probe fires at the function's entry, where
// parameter N is in the calling convention's Nth integer register (x86-64:
// the first six integer, enum and pointer parameters; a float takes an SSE
// register, a struct of more than 16 bytes is copied to the stack, neither
// takes one of these; after a smaller struct passed by value the places are
// not followed here). So only the parameter's name, type and register
// are needed, not DWARF's location expressions. Members of a parameter
// (`$req->hdr->len`) are laid out from its type (dwarf-chain.ts) and read
// from the process's memory where the script uses them. A file without
// debugging information has $arg1..$arg6 only.
import { readFileSync } from 'node:fs';
import type { TargetSymbolComponent } from '../parse/ast.js';
import { type Die, DW_ATE_FLOATS, DW_ATE_SIGNED, DwarfError, type DwarfInfo, readDwarf, TAG } from './dwarf-info.js';
import { type DwarfChain, dwarfLeaf, followDwarfMembers } from './dwarf-chain.js';
import { SemanticError } from './diagnostics.js';
import type { TargetVar } from './program.js';
import { commandCache } from '../util/command-cache.js';

const ARGUMENT_REGISTERS = 6;

/** How a parameter is passed, from its type. */
type Passing =
	| { readonly kind: 'integer'; readonly size: number; readonly signed: boolean; readonly pointer: boolean; readonly cType: string }
	| { readonly kind: 'float' | 'aggregate' | 'unknown'; readonly cType: string; readonly size?: number };

interface Param {
	readonly name: string;
	readonly passing: Passing;
	/** Its type's DIE. */
	readonly type: number | undefined;
}

const dwarfOfPath = commandCache<string, DwarfInfo | null>();

/** The file's DWARF, read once per path; null without (a stripped program). */
function dwarfOf(path: string): DwarfInfo | null {
	let d = dwarfOfPath.get(path);
	if (d === undefined) {
		try {
			d = readDwarf(readFileSync(path));
		} catch (e) {
			if (!(e instanceof DwarfError)) throw e;
			d = null; // debugging information it cannot read: as without (the names then do not resolve)
		}
		dwarfOfPath.set(path, d);
	}
	return d;
}


/** How a value of the type at `offset` is passed; qualifiers and typedefs followed. */
function passingOf(d: DwarfInfo, offset: number | undefined, depth = 0): Passing {
	const t = offset === undefined ? undefined : d.dies.get(offset);
	if (!t || depth > 32) return { kind: 'unknown', cType: 'void' };
	switch (t.tag) {
		case TAG.typedef: {
			const under = passingOf(d, t.type, depth + 1);
			return { ...under, cType: t.name ?? under.cType };
		}
		case TAG.const: case TAG.volatile: case TAG.restrict: case TAG.atomic:
			return passingOf(d, t.type, depth + 1);
		case TAG.pointer: case TAG.reference: case TAG.rvalueReference:
			return { kind: 'integer', size: 8, signed: false, pointer: true, cType: `${passingOf(d, t.type, depth + 1).cType} *` };
		case TAG.baseType: {
			const name = t.name ?? 'int';
			if (DW_ATE_FLOATS.has(t.encoding ?? 0)) return { kind: 'float', cType: name };
			const size = t.byteSize ?? 8;
			return size <= 8 ? { kind: 'integer', size, signed: DW_ATE_SIGNED.has(t.encoding ?? 0x05), pointer: false, cType: name } : { kind: 'aggregate', cType: name };
		}
		case TAG.enumeration: {
			const under = t.type !== undefined ? passingOf(d, t.type, depth + 1) : null;
			const signed = under?.kind === 'integer' ? under.signed : false;
			return { kind: 'integer', size: t.byteSize ?? 4, signed, pointer: false, cType: `enum ${t.name ?? ''}`.trim() };
		}
		case TAG.structure: case TAG.union: case TAG.class: case TAG.array:
			return { kind: 'aggregate', cType: t.name ?? 'struct', size: t.byteSize };
		default:
			return { kind: 'unknown', cType: t.name ?? '?' };
	}
}

const originOf = (d: DwarfInfo, die: Die): Die | undefined => {
	const o = die.abstractOrigin ?? die.specification;
	return o === undefined ? undefined : d.dies.get(o);
};

/** How the subprogram at `address` returns its value (its type through its origin), or null. */
function returnAt(d: DwarfInfo, address: bigint): Passing | null {
	let fn = d.byAddress.get(address)?.[0];
	for (let i = 0; fn && fn.type === undefined && i < 8; i++) fn = originOf(d, fn);
	return fn && fn.type !== undefined ? passingOf(d, fn.type) : null;
}

/** The formal parameters of the subprogram at `address`, names and types through its abstract origin or specification. */
function paramsAt(d: DwarfInfo, address: bigint): Param[] | null {
	const fn = d.byAddress.get(address)?.[0];
	if (!fn) return null;
	const origin = (die: Die) => originOf(d, die);
	let holder: Die | undefined = fn;
	while (holder && !holder.params?.length) holder = origin(holder);
	return (holder?.params ?? []).map((offset) => {
		let p = d.dies.get(offset);
		let name = p?.name;
		let type = p?.type;
		for (let o = p && origin(p), i = 0; o && (name === undefined || type === undefined) && i < 8; o = origin(o), i++) {
			name ??= o.name;
			type ??= o.type;
			p = o;
		}
		return { name: name ?? '', passing: passingOf(d, type), type };
	});
}

/** The target variables of one uprobe: $argN and $return, then, on demand, the function's parameters by name. */
export class UserFunctionArgs extends Map<string, TargetVar> {
	constructor(fixed: Map<string, TargetVar>, private readonly path: string, private readonly address: bigint, private readonly symbol: string) {
		super(fixed);
	}

	private found?: Param[];

	/** The function's parameters, looked up once (every `$name` of the probe asks). */
	private params(): Param[] {
		if (!this.found) {
			const d = dwarfOf(this.path);
			this.found = (d && paramsAt(d, this.address)) ?? [];
		}
		return this.found;
	}

	/** `$return` typed as the function returns it (an int's -1 stays -1), where the debugging information says. */
	override get(name: string): TargetVar | undefined {
		const t = super.get(name);
		if (name !== '$return' || !t || t.source.kind !== 'return_value' || t.source.size !== undefined) return t;
		const d = dwarfOf(this.path);
		const r = d && returnAt(d, this.address);
		if (!r || r.kind !== 'integer') return t;
		const typed: TargetVar = { ...t, cType: r.cType, pointer: r.pointer, source: { kind: 'return_value', size: r.size, signed: r.signed } };
		super.set(name, typed);
		return typed;
	}

	/** The parameter names, for messages and $$parms (empty without debugging information). */
	names(): string[] {
		return this.params().filter((p) => p.name).map((p) => `$${p.name}`);
	}

	/** `$name` when it names a parameter (null when it does not); a SemanticError when it cannot be read. */
	argument(name: string, components: readonly TargetSymbolComponent[], tok: SemanticError['tok']): TargetVar | null {
		const params = this.params();
		const index = params.findIndex((p) => `$${p.name}` === name);
		if (index < 0) return null;
		let register = 0;
		for (const [i, p] of params.entries()) {
			const here = i === index;
			if (p.passing.kind === 'integer') {
				if (here) break;
				register++;
			} else if (here) {
				throw new SemanticError(`cannot read ${name} of ${this.symbol}: it is ${p.passing.cType}, not passed in an integer register`, tok);
			} else if (p.passing.kind !== 'float' && !(p.passing.kind === 'aggregate' && (p.passing.size ?? 0) > 16)) {
				// (a float is in an SSE register, an aggregate of more than 16 bytes in memory: neither takes an integer register)
				throw new SemanticError(`cannot read ${name} of ${this.symbol}: parameter ${i + 1} (${p.passing.cType}) comes before it, passed in a way not followed here`, tok);
			}
		}
		if (register >= ARGUMENT_REGISTERS) throw new SemanticError(`${name} is integer parameter ${register + 1} of ${this.symbol}; only the first ${ARGUMENT_REGISTERS} are in registers`, tok);
		const passing = params[index]!.passing as Extract<Passing, { kind: 'integer' }>;
		if (!components.length) {
			const source = { kind: 'call_arg' as const, index: register, steps: [], size: passing.size, signed: passing.signed, string: false };
			return { kind: 'target', name, type: 'long', cType: passing.cType, pointer: passing.pointer, source };
		}
		// a member chain through the program's types, read from the process's memory where the script uses it
		const d = dwarfOf(this.path)!;
		const chain: DwarfChain = { steps: [], type: params[index]!.type, spelled: name };
		followDwarfMembers(d, chain, components);
		const leaf = dwarfLeaf(d, chain, tok);
		const source = { kind: 'call_arg' as const, index: register, steps: chain.steps, size: leaf.size, signed: leaf.signed, string: leaf.string, user: true };
		return { kind: 'target', name: chain.spelled, type: leaf.type, cType: leaf.cType, pointer: leaf.pointer, source };
	}
}
