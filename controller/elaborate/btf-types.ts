// The types of a kernel's BTF (Documentation/bpf/btf.rst), enough to lay
// out a tracepoint's TP_PROTO arguments and the members they point to:
// integers, enums, pointers, structs and unions, arrays, with typedefs and
// qualifiers seen through. Raw little-endian BTF, as x86 kernels carry it.
import { BtfError, trailingBytes } from '../kernel-tree/btf-functions.js';

const BTF_MAGIC = 0xeb9f;
export const BTF_KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, TYPE_TAG: 18, ENUM64: 19 } as const;

export interface BtfMember {
	readonly name: string;
	readonly type: number;
	/** In bits from the start of the struct. */
	readonly bitOffset: number;
	/** Non-zero for a bitfield. */
	readonly bitSize: number;
}

export interface BtfType {
	readonly kind: number;
	readonly name: string;
	/** Size in bytes (INT, ENUM, STRUCT, UNION), or the type referred to (PTR, TYPEDEF, qualifiers, FUNC). */
	readonly sizeOrType: number;
	readonly kindFlag: boolean;
	/** INT: the encoding word; ARRAY: element type, nelems. */
	readonly extra: readonly number[];
	/** STRUCT/UNION members; FUNC_PROTO parameters (bitOffset 0). */
	readonly members: readonly BtfMember[];
}

export class BtfTypes {
	/** Index = type id; id 0 is void. */
	readonly types: BtfType[] = [{ kind: 0, name: 'void', sizeOrType: 0, kindFlag: false, extra: [], members: [] }];
	private byName?: Map<string, number[]>;

	constructor(btf: Buffer) {
		if (btf.length < 24 || btf.readUInt16LE(0) !== BTF_MAGIC) throw new BtfError('not little-endian BTF (bad magic)');
		const hdrLen = btf.readUInt32LE(4);
		const typeStart = hdrLen + btf.readUInt32LE(8);
		const typeEnd = typeStart + btf.readUInt32LE(12);
		const strStart = hdrLen + btf.readUInt32LE(16);
		const str = (off: number) => (off === 0 ? '' : btf.toString('latin1', strStart + off, btf.indexOf(0, strStart + off)));
		for (let at = typeStart; at < typeEnd; ) {
			const info = btf.readUInt32LE(at + 4);
			const kind = (info >>> 24) & 0x1f;
			const vlen = info & 0xffff;
			const kindFlag = (info >>> 31) === 1;
			const sizeOrType = btf.readUInt32LE(at + 8);
			const body = at + 12;
			let extra: number[] = [];
			const members: BtfMember[] = [];
			if (kind === BTF_KIND.INT) extra = [btf.readUInt32LE(body)];
			else if (kind === BTF_KIND.ARRAY) extra = [btf.readUInt32LE(body), btf.readUInt32LE(body + 8)];
			else if (kind === BTF_KIND.STRUCT || kind === BTF_KIND.UNION) {
				for (let i = 0; i < vlen; i++) {
					const m = body + 12 * i;
					const off = btf.readUInt32LE(m + 8);
					members.push({ name: str(btf.readUInt32LE(m)), type: btf.readUInt32LE(m + 4), bitOffset: kindFlag ? off & 0xffffff : off, bitSize: kindFlag ? off >>> 24 : 0 });
				}
			} else if (kind === BTF_KIND.FUNC_PROTO) {
				for (let i = 0; i < vlen; i++) members.push({ name: str(btf.readUInt32LE(body + 8 * i)), type: btf.readUInt32LE(body + 8 * i + 4), bitOffset: 0, bitSize: 0 });
			}
			this.types.push({ kind, name: str(btf.readUInt32LE(at)), sizeOrType, kindFlag, extra, members });
			at = body + trailingBytes(kind, vlen);
		}
	}

	/** Type ids named `name` (any kind). */
	named(name: string): number[] {
		if (!this.byName) {
			this.byName = new Map();
			this.types.forEach((t, id) => {
				if (!t.name) return;
				const ids = this.byName!.get(t.name);
				if (ids) ids.push(id);
				else this.byName!.set(t.name, [id]);
			});
		}
		return this.byName.get(name) ?? [];
	}

	/** Through typedefs and qualifiers to the type that has a layout. */
	resolve(id: number): number {
		for (let i = 0; i < 64; i++) {
			const t = this.types[id];
			if (!t) throw new BtfError(`BTF type ${id} does not exist`);
			if (t.kind !== BTF_KIND.TYPEDEF && t.kind !== BTF_KIND.VOLATILE && t.kind !== BTF_KIND.CONST && t.kind !== BTF_KIND.RESTRICT && t.kind !== BTF_KIND.TYPE_TAG) return id;
			id = t.sizeOrType;
		}
		throw new BtfError(`BTF type ${id}: typedef loop`);
	}

	/** Size in bytes of a type with a layout. */
	sizeOf(id: number): number {
		const t = this.types[this.resolve(id)]!;
		switch (t.kind) {
			case BTF_KIND.PTR: return 8;
			case BTF_KIND.ARRAY: return this.sizeOf(t.extra[0]!) * t.extra[1]!;
			case BTF_KIND.INT: case BTF_KIND.ENUM: case BTF_KIND.ENUM64: case BTF_KIND.STRUCT: case BTF_KIND.UNION: return t.sizeOrType;
			default: return 0;
		}
	}

	/** The C spelling of a type, for listings and messages: "struct task_struct *", "pid_t", "char[16]". */
	cName(id: number): string {
		const t = this.types[id]!;
		switch (t.kind) {
			case 0: return 'void';
			case BTF_KIND.PTR: return `${this.cName(t.sizeOrType)} *`.replace('* *', '**');
			case BTF_KIND.CONST: return `const ${this.cName(t.sizeOrType)}`;
			case BTF_KIND.VOLATILE: return `volatile ${this.cName(t.sizeOrType)}`;
			case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG: return this.cName(t.sizeOrType);
			case BTF_KIND.ARRAY: return `${this.cName(t.extra[0]!)}[${t.extra[1]}]`;
			case BTF_KIND.STRUCT: return `struct ${t.name}`;
			case BTF_KIND.UNION: return `union ${t.name}`;
			case BTF_KIND.ENUM: case BTF_KIND.ENUM64: return `enum ${t.name}`;
			case BTF_KIND.FUNC_PROTO: return 'void (*)()';
			default: return t.name || '?';
		}
	}
}
