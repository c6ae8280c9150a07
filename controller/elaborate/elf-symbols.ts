// Function symbols of an ELF64 little-endian file (.symtab, else .dynsym),
// with the file offset a uprobe attaches at (the symbol's address mapped
// through the PT_LOAD segment that contains it), and which build of the
// file they come from (its build-id or hash, read from the same bytes).
import { readFileSync } from 'node:fs';
import { type FileIdentity, fileIdentity } from '../module/user-files.js';
import { type ElfLayout, type SdtMarker, fileOffsetOf, sdtMarkers } from './elf-sdt.js';
import { commandCache } from '../util/command-cache.js';

export interface ElfFunction {
	readonly name: string;
	/** Virtual address as in the symbol table. */
	readonly address: bigint;
	/** Offset in the file: what the uprobe PMU takes. */
	readonly fileOffset: bigint;
	readonly size: bigint;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const PT_LOAD = 1;

export class ElfError extends Error {}

export interface ElfFile {
	readonly functions: ElfFunction[];
	/** Its SDT markers (process("...").mark("...")), in note order. */
	readonly markers: SdtMarker[];
	/** The build the offsets are right for. */
	readonly identity: FileIdentity;
}

const cache = commandCache<string, ElfFile>();

/** Defined function symbols of the file, unique by name, sorted. Throws ElfError for what is not ELF64 LE. */
export function elfFunctions(path: string): ElfFunction[] {
	return elfFile(path).functions;
}

/** The file's function symbols and its identity, read once per path. */
export function elfFile(path: string): ElfFile {
	const hit = cache.get(path);
	if (hit) return hit;
	let buf: Buffer;
	try {
		buf = readFileSync(path);
	} catch (e) {
		throw new ElfError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`'${path}' is not an ELF file`);
	if (buf[4] !== 2 || buf[5] !== 1) throw new ElfError(`'${path}' is not a 64-bit little-endian ELF file`);
	const phoff = Number(buf.readBigUInt64LE(32));
	const shoff = Number(buf.readBigUInt64LE(40));
	const phentsize = buf.readUInt16LE(54);
	const phnum = buf.readUInt16LE(56);
	const shentsize = buf.readUInt16LE(58);
	const shnum = buf.readUInt16LE(60);
	const shstrndx = buf.readUInt16LE(62);
	const loads: { vaddr: bigint; offset: bigint; filesz: bigint }[] = [];
	for (let i = 0; i < phnum; i++) {
		const o = phoff + i * phentsize;
		if (buf.readUInt32LE(o) !== PT_LOAD) continue;
		loads.push({ offset: buf.readBigUInt64LE(o + 8), vaddr: buf.readBigUInt64LE(o + 16), filesz: buf.readBigUInt64LE(o + 32) });
	}
	if (shoff + shnum * shentsize > buf.length) throw new ElfError(`'${path}' is truncated`);
	const headers = Array.from({ length: shnum }, (_, i) => {
		const o = shoff + i * shentsize;
		return {
			nameAt: buf.readUInt32LE(o), type: buf.readUInt32LE(o + 4), addr: buf.readBigUInt64LE(o + 16),
			offset: Number(buf.readBigUInt64LE(o + 24)), size: Number(buf.readBigUInt64LE(o + 32)),
			link: buf.readUInt32LE(o + 40), entsize: Number(buf.readBigUInt64LE(o + 56)),
		};
	});
	const names = headers[shstrndx];
	const sections = headers.map((h) => ({ ...h, name: names && names.offset + h.nameAt < buf.length ? buf.toString('latin1', names.offset + h.nameAt, buf.indexOf(0, names.offset + h.nameAt)) : '' }));
	const layout: ElfLayout = { sections, loads };
	const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
	const out = new Map<string, ElfFunction>();
	if (table && table.entsize > 0) {
		const strtab = sections[table.link]!;
		for (let o = table.offset; o + 24 <= table.offset + table.size; o += table.entsize) {
			const info = buf[o + 4]!;
			const shndx = buf.readUInt16LE(o + 6);
			const address = buf.readBigUInt64LE(o + 8);
			if ((info & 0xf) !== STT_FUNC || shndx === 0 || address === 0n) continue;
			const nameAt = strtab.offset + buf.readUInt32LE(o);
			const name = buf.toString('latin1', nameAt, buf.indexOf(0, nameAt)).replace(/@.*$/, '');
			const fileOffset = fileOffsetOf(layout, address);
			if (fileOffset === null || out.has(name)) continue;
			out.set(name, { name, address, fileOffset, size: buf.readBigUInt64LE(o + 16) });
		}
	}
	const functions = [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	const file = { functions, markers: sdtMarkers(buf, layout), identity: fileIdentity(buf) };
	cache.set(path, file);
	return file;
}
