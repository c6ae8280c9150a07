// Reading one named section out of an ELF file held in memory: the kernel
// profile takes the .BTF of a vmlinux this way. (Notes and the build-id are
// read by controller/profile/elf-notes.ts.)

export class ElfSectionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ElfSectionError';
	}
}

export interface ElfHeaderFacts {
	is64: boolean;
	littleEndian: boolean;
	/** e_machine, e.g. 62 for x86-64. */
	machine: number;
}

const MACHINES: Record<number, string> = { 3: 'i386', 62: 'x86_64', 183: 'aarch64', 243: 'riscv64', 22: 's390x', 21: 'ppc64' };

export function elfHeaderFacts(elf: Buffer): ElfHeaderFacts {
	if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new ElfSectionError('not an ELF file');
	const littleEndian = elf[5] === 1;
	return { is64: elf[4] === 2, littleEndian, machine: littleEndian ? elf.readUInt16LE(18) : elf.readUInt16BE(18) };
}

/** The `uname -m` name of an ELF machine number, or "elf-machine-N". */
export function unameMachine(machine: number): string {
	return MACHINES[machine] ?? `elf-machine-${machine}`;
}

/** The contents of the section named `name`, or undefined when there is none. */
export function elfSection(elf: Buffer, name: string): Buffer | undefined {
	const { is64, littleEndian: le } = elfHeaderFacts(elf);
	const u16 = (o: number) => (le ? elf.readUInt16LE(o) : elf.readUInt16BE(o));
	const u32 = (o: number) => (le ? elf.readUInt32LE(o) : elf.readUInt32BE(o));
	const word = (o: number) => (is64 ? Number(le ? elf.readBigUInt64LE(o) : elf.readBigUInt64BE(o)) : u32(o));
	const shoff = word(is64 ? 0x28 : 0x20);
	const shentsize = u16(is64 ? 0x3a : 0x2e);
	const shnum = u16(is64 ? 0x3c : 0x30);
	const shstrndx = u16(is64 ? 0x3e : 0x32);
	if (shoff === 0 || shnum === 0) return undefined;
	if (shoff + shentsize * shnum > elf.length || shstrndx >= shnum) throw new ElfSectionError('truncated section header table');
	const section = (i: number) => {
		const at = shoff + i * shentsize;
		return { name: u32(at), offset: word(at + (is64 ? 0x18 : 0x10)), size: word(at + (is64 ? 0x20 : 0x14)) };
	};
	const strtab = section(shstrndx);
	for (let i = 0; i < shnum; i++) {
		const s = section(i);
		const nameAt = strtab.offset + s.name;
		const end = elf.indexOf(0, nameAt);
		if (end < 0 || elf.toString('latin1', nameAt, end) !== name) continue;
		if (s.offset + s.size > elf.length) throw new ElfSectionError(`section ${name} lies beyond the end of the file`);
		return elf.subarray(s.offset, s.offset + s.size);
	}
	return undefined;
}
