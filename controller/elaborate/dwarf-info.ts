// The DWARF debugging information of a user-space program (.debug_info,
// DWARF 2 to 5), read just far enough for target variables: every
// subprogram with its address and formal parameters, and the types they
// name (base types, pointers, typedefs and qualifiers, enums, aggregates).
// stap reads the same with elfutils; this reads only what a function's
// parameters at its entry need. A file without .debug_info has none.
import { elfSection } from '../kernel-tree/elf-sections.js';

/** A debugging information entry, with the attributes read here. */
export interface Die {
	readonly offset: number;
	readonly tag: number;
	name?: string;
	/** Offset of the DIE DW_AT_type names. */
	type?: number;
	lowPc?: bigint;
	byteSize?: number;
	encoding?: number;
	abstractOrigin?: number;
	specification?: number;
	/** DW_TAG_formal_parameter children, in order (subprograms). */
	params?: number[];
	/** A `...` parameter list (DW_TAG_unspecified_parameters). */
	varargs?: boolean;
	/** DW_TAG_member children (structures, unions, classes). */
	members?: number[];
	/** A member's byte offset in its aggregate (DW_AT_data_member_location). */
	memberOffset?: number;
	/** A bitfield member (DW_AT_bit_size). */
	bitField?: boolean;
	/** An array's element count (its DW_TAG_subrange_type's bound or count). */
	count?: number;
}

export const TAG = {
	array: 0x01, class: 0x02, enumeration: 0x04, formalParameter: 0x05, pointer: 0x0f, reference: 0x10,
	member: 0x0d, structure: 0x13, typedef: 0x16, union: 0x17, unspecifiedParameters: 0x18, subrange: 0x21, baseType: 0x24, const: 0x26,
	subprogram: 0x2e, volatile: 0x35, restrict: 0x37, rvalueReference: 0x42, atomic: 0x47,
} as const;

const AT = {
	name: 0x03, byteSize: 0x0b, bitSize: 0x0d, lowPc: 0x11, upperBound: 0x2f, abstractOrigin: 0x31, count: 0x37,
	dataMemberLocation: 0x38, encoding: 0x3e, specification: 0x47, type: 0x49, dataBitOffset: 0x6b,
	strOffsetsBase: 0x72, addrBase: 0x73,
} as const;

/** DW_OP_plus_uconst: an old-style member location, `DW_OP_plus_uconst N`. */
const DW_OP_PLUS_UCONST = 0x23;

/** DW_AT_encoding of base types: floating point, and the signed integer encodings. */
export const DW_ATE_FLOATS: ReadonlySet<number> = new Set([0x03, 0x04]);
export const DW_ATE_SIGNED: ReadonlySet<number> = new Set([0x05, 0x06, 0x0d]);

export class DwarfError extends Error {}

/** A reader over one section. */
class Cursor {
	constructor(readonly buf: Buffer, public at = 0) {}
	u8(): number {
		this.need(1);
		return this.buf[this.at++]!;
	}
	u16(): number {
		this.need(2);
		const v = this.buf.readUInt16LE(this.at);
		this.at += 2;
		return v;
	}
	u24(): number {
		return this.u16() | (this.u8() << 16);
	}
	u32(): number {
		this.need(4);
		const v = this.buf.readUInt32LE(this.at);
		this.at += 4;
		return v;
	}
	u64(): bigint {
		this.need(8);
		const v = this.buf.readBigUInt64LE(this.at);
		this.at += 8;
		return v;
	}
	uleb(): bigint {
		let v = 0n;
		let shift = 0n;
		for (;;) {
			const b = this.u8();
			v |= BigInt(b & 0x7f) << shift;
			shift += 7n;
			if (!(b & 0x80)) return v;
		}
	}
	sleb(): bigint {
		let v = 0n;
		let shift = 0n;
		let b: number;
		do {
			b = this.u8();
			v |= BigInt(b & 0x7f) << shift;
			shift += 7n;
		} while (b & 0x80);
		return b & 0x40 ? v - (1n << shift) : v;
	}
	cstr(): string {
		const end = this.buf.indexOf(0, this.at);
		if (end < 0) throw new DwarfError('unterminated string');
		const s = this.buf.toString('latin1', this.at, end);
		this.at = end + 1;
		return s;
	}
	offset(size: number): number {
		return size === 8 ? Number(this.u64()) : this.u32();
	}
	skip(n: number): void {
		this.need(n);
		this.at += n;
	}
	private need(n: number): void {
		if (this.at + n > this.buf.length) throw new DwarfError('truncated debugging information');
	}
}

interface AttrSpec {
	readonly name: number;
	readonly form: number;
	readonly implicit?: bigint;
}

interface Abbrev {
	readonly tag: number;
	readonly children: boolean;
	readonly attrs: AttrSpec[];
}

function readAbbrevs(section: Buffer, offset: number): Map<number, Abbrev> {
	const c = new Cursor(section, offset);
	const table = new Map<number, Abbrev>();
	for (;;) {
		const code = Number(c.uleb());
		if (code === 0) return table;
		const tag = Number(c.uleb());
		const children = c.u8() === 1;
		const attrs: AttrSpec[] = [];
		for (;;) {
			const name = Number(c.uleb());
			const form = Number(c.uleb());
			if (name === 0 && form === 0) break;
			attrs.push(form === 0x21 ? { name, form, implicit: c.sleb() } : { name, form });
		}
		table.set(code, { tag, children, attrs });
	}
}

/** What an attribute's form says: a number, an offset into a section, a string, a reference, or nothing used here. */
type Value =
	| { kind: 'num'; v: bigint }
	| { kind: 'str'; v: string }
	| { kind: 'strx'; index: number }
	| { kind: 'addrx'; index: number }
	| { kind: 'ref'; offset: number }
	| { kind: 'expr'; bytes: Buffer }
	| { kind: 'none' };

interface Sections {
	info: Buffer;
	abbrev: Buffer;
	str?: Buffer;
	lineStr?: Buffer;
	strOffsets?: Buffer;
	addr?: Buffer;
}

function stringAt(section: Buffer | undefined, offset: number, which: string): string {
	if (!section || offset >= section.length) throw new DwarfError(`a string beyond ${which}`);
	const end = section.indexOf(0, offset);
	return section.toString('latin1', offset, end < 0 ? section.length : end);
}

/** One attribute's value at the cursor (the cursor moves past it). */
function readValue(c: Cursor, form: number, unit: { start: number; offsetSize: number; addrSize: number; version: number }, s: Sections, implicit?: bigint): Value {
	switch (form) {
		case 0x01: return { kind: 'num', v: unit.addrSize === 8 ? c.u64() : BigInt(c.u32()) };
		case 0x0b: return { kind: 'num', v: BigInt(c.u8()) };
		case 0x05: return { kind: 'num', v: BigInt(c.u16()) };
		case 0x06: return { kind: 'num', v: BigInt(c.u32()) };
		case 0x07: return { kind: 'num', v: c.u64() };
		case 0x0d: return { kind: 'num', v: c.sleb() };
		case 0x0f: return { kind: 'num', v: c.uleb() };
		case 0x0c: return { kind: 'num', v: BigInt(c.u8()) };
		case 0x19: return { kind: 'num', v: 1n };
		case 0x21: return { kind: 'num', v: implicit ?? 0n };
		case 0x08: return { kind: 'str', v: c.cstr() };
		case 0x0e: return { kind: 'str', v: stringAt(s.str, c.offset(unit.offsetSize), '.debug_str') };
		case 0x1f: return { kind: 'str', v: stringAt(s.lineStr, c.offset(unit.offsetSize), '.debug_line_str') };
		case 0x1a: return { kind: 'strx', index: Number(c.uleb()) };
		case 0x25: return { kind: 'strx', index: c.u8() };
		case 0x26: return { kind: 'strx', index: c.u16() };
		case 0x27: return { kind: 'strx', index: c.u24() };
		case 0x28: return { kind: 'strx', index: c.u32() };
		case 0x1b: return { kind: 'addrx', index: Number(c.uleb()) };
		case 0x29: return { kind: 'addrx', index: c.u8() };
		case 0x2a: return { kind: 'addrx', index: c.u16() };
		case 0x2b: return { kind: 'addrx', index: c.u24() };
		case 0x2c: return { kind: 'addrx', index: c.u32() };
		case 0x11: return { kind: 'ref', offset: unit.start + c.u8() };
		case 0x12: return { kind: 'ref', offset: unit.start + c.u16() };
		case 0x13: return { kind: 'ref', offset: unit.start + c.u32() };
		case 0x14: return { kind: 'ref', offset: unit.start + Number(c.u64()) };
		case 0x15: return { kind: 'ref', offset: unit.start + Number(c.uleb()) };
		case 0x10: return { kind: 'ref', offset: unit.version <= 2 ? (unit.addrSize === 8 ? Number(c.u64()) : c.u32()) : c.offset(unit.offsetSize) };
		case 0x17: case 0x1c: case 0x1d: case 0x1f20: case 0x1f21: c.offset(form === 0x1c ? 4 : unit.offsetSize); return { kind: 'none' };
		case 0x24: case 0x20: c.skip(8); return { kind: 'none' };
		case 0x1e: c.skip(16); return { kind: 'none' };
		case 0x0a: c.skip(c.u8()); return { kind: 'none' };
		case 0x03: c.skip(c.u16()); return { kind: 'none' };
		case 0x04: c.skip(c.u32()); return { kind: 'none' };
		case 0x18: {
			const n = Number(c.uleb());
			const at = c.at;
			c.skip(n);
			return { kind: 'expr', bytes: c.buf.subarray(at, at + n) };
		}
		case 0x09: c.skip(Number(c.uleb())); return { kind: 'none' };
		case 0x22: case 0x23: case 0x1f01: case 0x1f02: c.uleb(); return { kind: 'none' };
		case 0x16: return readValue(c, Number(c.uleb()), unit, s);
		default: throw new DwarfError(`unknown attribute form 0x${form.toString(16)}`);
	}
}

/** Every DIE of interest in the file's .debug_info, by offset; subprograms also by address. */
export interface DwarfInfo {
	readonly dies: Map<number, Die>;
	readonly byAddress: Map<bigint, Die[]>;
}

const INTERESTING: ReadonlySet<number> = new Set(Object.values(TAG));

/** Reads the DWARF of an ELF file's bytes; null without .debug_info. */
export function readDwarf(elf: Buffer): DwarfInfo | null {
	const info = elfSection(elf, '.debug_info');
	if (!info) return null;
	const abbrev = elfSection(elf, '.debug_abbrev');
	if (!abbrev) throw new DwarfError('.debug_info without .debug_abbrev');
	const s: Sections = {
		info, abbrev, str: elfSection(elf, '.debug_str'), lineStr: elfSection(elf, '.debug_line_str'),
		strOffsets: elfSection(elf, '.debug_str_offsets'), addr: elfSection(elf, '.debug_addr'),
	};
	const dies = new Map<number, Die>();
	const byAddress = new Map<bigint, Die[]>();
	const abbrevCache = new Map<number, Map<number, Abbrev>>();
	const c = new Cursor(info);
	while (c.at < info.length) {
		const start = c.at;
		let length = c.u32();
		let offsetSize = 4;
		if (length === 0xffffffff) {
			length = Number(c.u64());
			offsetSize = 8;
		}
		const end = c.at + length;
		const version = c.u16();
		let abbrevOffset: number;
		let addrSize: number;
		if (version >= 5) {
			const unitType = c.u8();
			addrSize = c.u8();
			abbrevOffset = c.offset(offsetSize);
			if (unitType === 0x02 || unitType === 0x06) c.skip(8 + offsetSize);
			else if (unitType === 0x04 || unitType === 0x05) c.skip(8);
		} else {
			abbrevOffset = c.offset(offsetSize);
			addrSize = c.u8();
		}
		let table = abbrevCache.get(abbrevOffset);
		if (!table) abbrevCache.set(abbrevOffset, (table = readAbbrevs(abbrev, abbrevOffset)));
		const unit = { start, offsetSize, addrSize, version };
		readUnit(c, end, table, unit, s, dies, byAddress);
		c.at = end;
	}
	return { dies, byAddress };
}

function readUnit(c: Cursor, end: number, table: Map<number, Abbrev>, unit: { start: number; offsetSize: number; addrSize: number; version: number }, s: Sections,
	dies: Map<number, Die>, byAddress: Map<bigint, Die[]>): void {
	let strOffsetsBase = 8;
	let addrBase = 8;
	const deferred: (() => void)[] = [];
	const parents: (Die | null)[] = [];
	const subprograms: Die[] = [];
	while (c.at < end) {
		const offset = c.at;
		const code = Number(c.uleb());
		if (code === 0) {
			parents.pop();
			continue;
		}
		const ab = table.get(code);
		if (!ab) throw new DwarfError(`abbreviation ${code} missing`);
		const die: Die = { offset, tag: ab.tag };
		for (const spec of ab.attrs) {
			const v = readValue(c, spec.form, unit, s, spec.implicit);
			switch (spec.name) {
				case AT.name:
					if (v.kind === 'str') die.name = v.v;
					else if (v.kind === 'strx') deferred.push(() => (die.name = stringAt(s.str, offsetAt(s.strOffsets, strOffsetsBase, v.index, unit.offsetSize), '.debug_str')));
					break;
				case AT.type: if (v.kind === 'ref') die.type = v.offset; break;
				case AT.abstractOrigin: if (v.kind === 'ref') die.abstractOrigin = v.offset; break;
				case AT.specification: if (v.kind === 'ref') die.specification = v.offset; break;
				case AT.byteSize: if (v.kind === 'num') die.byteSize = Number(v.v); break;
				case AT.encoding: if (v.kind === 'num') die.encoding = Number(v.v); break;
				case AT.lowPc:
					if (v.kind === 'num') die.lowPc = v.v;
					else if (v.kind === 'addrx') deferred.push(() => (die.lowPc = addressAt(s.addr, addrBase, v.index, unit.addrSize)));
					break;
				case AT.dataMemberLocation:
					if (v.kind === 'num') die.memberOffset = Number(v.v);
					else if (v.kind === 'expr' && v.bytes[0] === DW_OP_PLUS_UCONST) die.memberOffset = Number(new Cursor(v.bytes, 1).uleb());
					break;
				case AT.bitSize: case AT.dataBitOffset: die.bitField = true; break;
				case AT.upperBound: if (v.kind === 'num') die.count = Number(v.v) + 1; break;
				case AT.count: if (v.kind === 'num') die.count = Number(v.v); break;
				case AT.strOffsetsBase: if (v.kind === 'num') strOffsetsBase = Number(v.v); break;
				case AT.addrBase: if (v.kind === 'num') addrBase = Number(v.v); break;
			}
		}
		const parent = parents.length ? parents[parents.length - 1]! : null;
		if (INTERESTING.has(die.tag)) dies.set(offset, die);
		if (die.tag === TAG.subprogram) subprograms.push(die);
		if (parent && parent.tag === TAG.subprogram) {
			if (die.tag === TAG.formalParameter) (parent.params ??= []).push(offset);
			else if (die.tag === TAG.unspecifiedParameters) parent.varargs = true;
		} else if (parent && die.tag === TAG.member) {
			(parent.members ??= []).push(offset);
		} else if (parent && parent.tag === TAG.array && die.tag === TAG.subrange && die.count !== undefined && parent.count === undefined) {
			parent.count = die.count;
		}
		if (ab.children) parents.push(INTERESTING.has(die.tag) ? die : null);
	}
	for (const resolve of deferred) resolve();
	for (const die of subprograms) {
		if (die.lowPc === undefined) continue;
		const list = byAddress.get(die.lowPc);
		if (list) list.push(die);
		else byAddress.set(die.lowPc, [die]);
	}
}

function offsetAt(section: Buffer | undefined, base: number, index: number, size: number): number {
	const at = base + index * size;
	if (!section || at + size > section.length) throw new DwarfError('a string index beyond .debug_str_offsets');
	return size === 8 ? Number(section.readBigUInt64LE(at)) : section.readUInt32LE(at);
}

function addressAt(section: Buffer | undefined, base: number, index: number, size: number): bigint {
	const at = base + index * size;
	if (!section || at + size > section.length) throw new DwarfError('an address index beyond .debug_addr');
	return size === 8 ? section.readBigUInt64LE(at) : BigInt(section.readUInt32LE(at));
}
