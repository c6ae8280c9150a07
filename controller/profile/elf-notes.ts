// ELF note parsing: the GNU build-id of a running kernel (/sys/kernel/notes,
// a raw stream of notes) and of an ELF file such as a vmlinux (what
// `readelf -n` prints as "Build ID"). The build-id is the key that ties a
// compiled module to exactly one kernel build, so both forms must agree.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** One ELF note (Elf{32,64}_Nhdr followed by its name and descriptor). */
export interface ElfNote {
	name: string;
	type: number;
	desc: Buffer;
}

export class ElfNoteError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ElfNoteError';
	}
}

/** NT_GNU_BUILD_ID, owner "GNU". */
const NT_GNU_BUILD_ID = 3;
const SHT_NOTE = 7;
const PT_NOTE = 4;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export interface NoteStreamOptions {
	/** Byte order of the note headers; the host's order for /sys/kernel/notes. */
	littleEndian?: boolean;
	/** Padding of name and descriptor: 4 (the usual case) or 8 (SHF_ALLOC notes aligned to 8, e.g. .note.gnu.property). */
	align?: 4 | 8;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function alignUp(n: number, align: number): number {
	return (n + align - 1) & ~(align - 1);
}

/** Parses a stream of notes (the contents of one SHT_NOTE section or PT_NOTE segment). */
export function parseNotes(buf: Buffer, opts: NoteStreamOptions = {}): ElfNote[] {
	const le = opts.littleEndian ?? hostIsLittleEndian;
	const align = opts.align ?? 4;
	const u32 = (off: number) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
	const notes: ElfNote[] = [];
	let off = 0;
	// Trailing zero padding after the last note is legal; stop when a header no longer fits.
	while (off + 12 <= buf.length) {
		const namesz = u32(off);
		const descsz = u32(off + 4);
		const type = u32(off + 8);
		const nameStart = off + 12;
		// Padding is relative to the note's start (the gABI rule; it matters for 8-aligned notes).
		const descStart = off + alignUp(12 + namesz, align);
		const end = off + alignUp(descStart - off + descsz, align);
		if (descStart + descsz > buf.length || namesz > buf.length) {
			throw new ElfNoteError(`truncated note at offset ${off}: name ${namesz} bytes, descriptor ${descsz} bytes, ${buf.length - off} bytes left`);
		}
		// The name includes its NUL terminator.
		const rawName = buf.subarray(nameStart, nameStart + namesz);
		const nul = rawName.indexOf(0);
		const name = rawName.subarray(0, nul === -1 ? rawName.length : nul).toString('latin1');
		notes.push({ name, type, desc: Buffer.from(buf.subarray(descStart, descStart + descsz)) });
		off = end;
	}
	return notes;
}

function buildIdOf(notes: ElfNote[]): string | undefined {
	const note = notes.find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID && n.desc.length > 0);
	return note?.desc.toString('hex');
}

/**
 * The GNU build-id from a raw note stream in the format of
 * /sys/kernel/notes (host byte order). Lowercase hex, or undefined when the
 * stream holds no build-id note.
 */
export function gnuBuildIdFromNotes(buf: Buffer, opts: NoteStreamOptions = {}): string | undefined {
	return buildIdOf(parseNotes(buf, opts));
}

/** Where the note streams of an ELF file lie, from its header alone. */
interface NoteRegion {
	offset: number;
	size: number;
	align: 4 | 8;
}

interface ElfLayout {
	littleEndian: boolean;
	is64: boolean;
}

function elfLayout(ident: Buffer): ElfLayout {
	if (ident.length < 16 || !ident.subarray(0, 4).equals(ELF_MAGIC)) {
		throw new ElfNoteError('not an ELF file (bad magic)');
	}
	const cls = ident[4];
	const data = ident[5];
	if (cls !== 1 && cls !== 2) throw new ElfNoteError(`unknown ELF class ${cls}`);
	if (data !== 1 && data !== 2) throw new ElfNoteError(`unknown ELF data encoding ${data}`);
	return { is64: cls === 2, littleEndian: data === 1 };
}

/** A reader of byte ranges, so that large files (a vmlinux is ~60 MB) need not be read whole. */
type ReadRange = (offset: number, length: number) => Buffer;

function noteRegions(read: ReadRange, fileSize: number): { layout: ElfLayout; regions: NoteRegion[] } {
	const head = read(0, 64);
	const layout = elfLayout(head);
	const { is64, littleEndian: le } = layout;
	if (head.length < (is64 ? 64 : 52)) throw new ElfNoteError('truncated ELF header');
	const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
	const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
	const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
	const toAlign = (a: number): 4 | 8 => (a === 8 ? 8 : 4);
	const checked = (r: NoteRegion, what: string): NoteRegion => {
		if (r.offset + r.size > fileSize) throw new ElfNoteError(`${what} lies beyond the end of the file (offset ${r.offset}, size ${r.size})`);
		return r;
	};

	// Sections first (as readelf -n does); program headers when the section table is absent (stripped or core-like files).
	const shoff = word(head, is64 ? 0x28 : 0x20);
	const shentsize = u16(head, is64 ? 0x3a : 0x2e);
	const shnum = u16(head, is64 ? 0x3c : 0x30);
	const regions: NoteRegion[] = [];
	if (shoff !== 0 && shnum !== 0) {
		const table = read(shoff, shentsize * shnum);
		if (table.length < shentsize * shnum) throw new ElfNoteError('truncated section header table');
		for (let i = 0; i < shnum; i++) {
			const sh = table.subarray(i * shentsize);
			if (u32(sh, 4) !== SHT_NOTE) continue;
			const offset = word(sh, is64 ? 0x18 : 0x10);
			const size = word(sh, is64 ? 0x20 : 0x14);
			const align = word(sh, is64 ? 0x30 : 0x20);
			regions.push(checked({ offset, size, align: toAlign(align) }, `note section ${i}`));
		}
		return { layout, regions };
	}
	const phoff = word(head, is64 ? 0x20 : 0x1c);
	const phentsize = u16(head, is64 ? 0x36 : 0x2a);
	const phnum = u16(head, is64 ? 0x38 : 0x2c);
	if (phoff !== 0 && phnum !== 0) {
		const table = read(phoff, phentsize * phnum);
		if (table.length < phentsize * phnum) throw new ElfNoteError('truncated program header table');
		for (let i = 0; i < phnum; i++) {
			const ph = table.subarray(i * phentsize);
			if (u32(ph, 0) !== PT_NOTE) continue;
			const offset = word(ph, is64 ? 0x08 : 0x04);
			const size = word(ph, is64 ? 0x20 : 0x10);
			const align = word(ph, is64 ? 0x30 : 0x1c);
			regions.push(checked({ offset, size, align: toAlign(align) }, `note segment ${i}`));
		}
	}
	return { layout, regions };
}

function buildIdFromRegions(read: ReadRange, fileSize: number): string | undefined {
	const { layout, regions } = noteRegions(read, fileSize);
	for (const r of regions) {
		const id = gnuBuildIdFromNotes(read(r.offset, r.size), { littleEndian: layout.littleEndian, align: r.align });
		if (id) return id;
	}
	return undefined;
}

/** All notes of an ELF file held in memory, section by section (like `readelf -n`). */
export function notesFromElf(buf: Buffer): ElfNote[] {
	const read: ReadRange = (o, n) => buf.subarray(o, o + n);
	const { layout, regions } = noteRegions(read, buf.length);
	return regions.flatMap((r) => parseNotes(read(r.offset, r.size), { littleEndian: layout.littleEndian, align: r.align }));
}

/** The GNU build-id of an ELF image held in memory (lowercase hex), or undefined if it has none. */
export function gnuBuildIdFromElf(buf: Buffer): string | undefined {
	return buildIdFromRegions((o, n) => buf.subarray(o, o + n), buf.length);
}

/**
 * The GNU build-id of an ELF file on disk, reading only its headers and
 * note sections (a vmlinux need not be read whole). Throws ElfNoteError for
 * a file that is not a valid ELF, and the fs error if it cannot be read.
 */
export function gnuBuildIdOfElfFile(path: string): string | undefined {
	const fd = openSync(path, 'r');
	try {
		const read: ReadRange = (offset, length) => {
			const out = Buffer.alloc(length);
			const n = readSync(fd, out, 0, length, offset);
			return out.subarray(0, n);
		};
		return buildIdFromRegions(read, fstatSync(fd).size);
	} finally {
		closeSync(fd);
	}
}
