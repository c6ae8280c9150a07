// SystemTap SDT markers (sys/sdt.h's STAP_PROBE, DTrace-style USDT) of an
// ELF file: the .note.stapsdt notes, each naming a provider and a marker,
// the address of the marker's nop, the semaphore that the program tests
// before it prepares the arguments (0: none), and the arguments' places.
// What process("...").mark("...") attaches to.
import { parseSdtArguments, type SdtOperand } from './sdt-operand.js';

export interface SdtMarker {
	readonly provider: string;
	readonly name: string;
	/** Offset of the marker in the file: where the uprobe goes. */
	readonly fileOffset: bigint;
	/** Offset of its semaphore in the file (the kernel counts it up while a uprobe is attached), or 0n. */
	readonly semaphoreOffset: bigint;
	/** The argument string as the note has it ("8@%rbx -4@%ebp"). */
	readonly argText: string;
	readonly args: readonly SdtOperand[];
}

/** What the marker reader needs of the ELF file's headers. */
export interface ElfLayout {
	readonly sections: readonly { readonly name: string; readonly type: number; readonly addr: bigint; readonly offset: number; readonly size: number }[];
	readonly loads: readonly { readonly vaddr: bigint; readonly offset: bigint; readonly filesz: bigint }[];
}

const SHT_NOTE = 7;
const NT_STAPSDT = 3;

/** The file offset of virtual address `addr`, through the PT_LOAD segment holding it; null outside every one. */
export function fileOffsetOf(layout: ElfLayout, addr: bigint): bigint | null {
	const seg = layout.loads.find((l) => addr >= l.vaddr && addr < l.vaddr + l.filesz);
	return seg ? addr - seg.vaddr + seg.offset : null;
}

const cString = (buf: Buffer, at: number, end: number): [string, number] => {
	const z = buf.indexOf(0, at);
	const stop = z < 0 || z > end ? end : z;
	return [buf.toString('latin1', at, stop), stop + 1];
};

/** Every marker of the file, in note order; markers whose addresses fall outside the file's segments are left out. */
export function sdtMarkers(buf: Buffer, layout: ElfLayout): SdtMarker[] {
	const notes = layout.sections.find((s) => s.type === SHT_NOTE && s.name === '.note.stapsdt');
	if (!notes || notes.offset + notes.size > buf.length) return [];
	// A prelinked file moved .stapsdt.base: the notes' addresses move by as much (sys/sdt.h).
	const base = layout.sections.find((s) => s.name === '.stapsdt.base');
	const out: SdtMarker[] = [];
	const end = notes.offset + notes.size;
	for (let o = notes.offset; o + 12 <= end; ) {
		const namesz = buf.readUInt32LE(o);
		const descsz = buf.readUInt32LE(o + 4);
		const type = buf.readUInt32LE(o + 8);
		const desc = o + 12 + ((namesz + 3) & ~3);
		const next = desc + ((descsz + 3) & ~3);
		if (next > end || desc + descsz > end) break;
		const owner = buf.toString('latin1', o + 12, o + 12 + Math.max(0, namesz - 1));
		o = next;
		if (owner !== 'stapsdt' || type !== NT_STAPSDT || descsz < 24) continue;
		const stop = desc + descsz;
		let pc = buf.readBigUInt64LE(desc);
		const noteBase = buf.readBigUInt64LE(desc + 8);
		let semaphore = buf.readBigUInt64LE(desc + 16);
		if (base && noteBase !== 0n) {
			pc += base.addr - noteBase;
			if (semaphore !== 0n) semaphore += base.addr - noteBase;
		}
		const [provider, n1] = cString(buf, desc + 24, stop);
		const [name, n2] = cString(buf, n1, stop);
		const [argText] = n2 < stop ? cString(buf, n2, stop) : [''];
		const fileOffset = fileOffsetOf(layout, pc);
		const semaphoreOffset = semaphore === 0n ? 0n : fileOffsetOf(layout, semaphore);
		if (fileOffset === null || semaphoreOffset === null) continue;
		out.push({ provider, name, fileOffset, semaphoreOffset, argText, args: parseSdtArguments(argText) });
	}
	return out;
}
