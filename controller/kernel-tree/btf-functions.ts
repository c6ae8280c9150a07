// Function names from a kernel's BTF: the kernel symbols of a tree whose
// System.map is missing or a placeholder (Debian ships the real one only in
// the 858 MB -dbg package). BTF names every function with debug info, which
// covers the probe-able kernel.function targets; some static functions and
// assembly entry points are absent (a gathered profile reads /proc/kallsyms).
// Format: Documentation/bpf/btf.rst.

export class BtfError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BtfError';
	}
}

const BTF_MAGIC = 0xeb9f;
const KIND_FUNC = 12;

/** Bytes that follow the 12-byte struct btf_type, per kind, for vlen members. */
export function trailingBytes(kind: number, vlen: number): number {
	switch (kind) {
		case 1: // INT
		case 14: // VAR
		case 17: // DECL_TAG
			return 4;
		case 3: // ARRAY
			return 12;
		case 4: // STRUCT
		case 5: // UNION
		case 15: // DATASEC
		case 19: // ENUM64
			return 12 * vlen;
		case 6: // ENUM
		case 13: // FUNC_PROTO
			return 8 * vlen;
		case 2: // PTR
		case 7: // FWD
		case 8: // TYPEDEF
		case 9: // VOLATILE
		case 10: // CONST
		case 11: // RESTRICT
		case KIND_FUNC:
		case 16: // FLOAT
		case 18: // TYPE_TAG
			return 0;
		default:
			throw new BtfError(`unknown BTF kind ${kind}`);
	}
}

/** Names of the FUNC entries of raw BTF (little-endian, as x86 kernels carry it), sorted and unique. */
export function btfFunctionNames(btf: Buffer): string[] {
	if (btf.length < 24 || btf.readUInt16LE(0) !== BTF_MAGIC) throw new BtfError('not little-endian BTF (bad magic)');
	const hdrLen = btf.readUInt32LE(4);
	const typeStart = hdrLen + btf.readUInt32LE(8);
	const typeEnd = typeStart + btf.readUInt32LE(12);
	const strStart = hdrLen + btf.readUInt32LE(16);
	const strEnd = strStart + btf.readUInt32LE(20);
	if (typeEnd > btf.length || strEnd > btf.length) throw new BtfError('truncated BTF');
	const names = new Set<string>();
	for (let at = typeStart; at < typeEnd; ) {
		const nameOff = btf.readUInt32LE(at);
		const info = btf.readUInt32LE(at + 4);
		const kind = (info >>> 24) & 0x1f;
		if (kind === KIND_FUNC) {
			const from = strStart + nameOff;
			const to = btf.indexOf(0, from);
			if (to < 0 || to > strEnd) throw new BtfError(`function name at string offset ${nameOff} runs past the string section`);
			names.add(btf.toString('latin1', from, to));
		}
		at += 12 + trailingBytes(kind, info & 0xffff);
	}
	return [...names].sort();
}
