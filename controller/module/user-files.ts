// The user-space files a module's uprobes are in, and which build of each:
// a uprobe is an offset into one build of a file (pass 2 resolves
// process("PATH").function("NAME") against the controller's copy), and at
// the same offset in another build it may sit mid-instruction. The
// manifest records each file's GNU build-id (.note.gnu.build-id), or the
// SHA-256 of its contents when it has none; taprun compares them with the
// target's files before anything loads (runtime-c/taprun/user_files.c),
// like SystemTap's "Build-id mismatch" check.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type FileIdKind = 'build-id' | 'sha256';

/** Which build of a file: its GNU build-id, or the hash of its bytes. */
export interface FileIdentity {
	readonly kind: FileIdKind;
	/** Lowercase hex. */
	readonly id: string;
}

/** One probed file as the manifest lists it. */
export interface UserFile extends FileIdentity {
	/** Absolute, canonical (symbolic links resolved on the controller). */
	path: string;
	/** The first probe point in it, for the target's message. */
	probe: string;
}

const PT_NOTE = 4;
const SHT_NOTE = 7;
const NT_GNU_BUILD_ID = 3;
/** As taprun reads them (file_id.h): longer ids are not build-ids it accepts. */
export const MAX_BUILD_ID_BYTES = 64;

const align4 = (n: number): number => (n + 3) & ~3;

/** The GNU build-id among the notes in buf[start, end), or null. */
function buildIdInNotes(buf: Buffer, start: number, end: number): string | null {
	let o = start;
	while (o + 12 <= end) {
		const namesz = buf.readUInt32LE(o);
		const descsz = buf.readUInt32LE(o + 4);
		const type = buf.readUInt32LE(o + 8);
		const name = o + 12;
		const desc = name + align4(namesz);
		if (desc + descsz > end || desc < name) return null;
		if (type === NT_GNU_BUILD_ID && namesz === 4 && buf.toString('latin1', name, name + 4) === 'GNU\0' && descsz > 0 && descsz <= MAX_BUILD_ID_BYTES) {
			return buf.toString('hex', desc, desc + descsz);
		}
		o = desc + align4(descsz);
	}
	return null;
}

/**
 * The GNU build-id of an ELF64 little-endian file: PT_NOTE segments first
 * (present when section headers are stripped), then SHT_NOTE sections, as
 * taprun looks. Null when there is none or the file is not such an ELF.
 */
export function elfBuildId(buf: Buffer): string | null {
	if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return null;
	const inFile = (off: number, size: number) => off >= 0 && size >= 0 && off + size <= buf.length;
	const phoff = Number(buf.readBigUInt64LE(32));
	const phentsize = buf.readUInt16LE(54);
	const phnum = buf.readUInt16LE(56);
	for (let i = 0; i < phnum && inFile(phoff + i * phentsize, 56); i++) {
		const p = phoff + i * phentsize;
		if (buf.readUInt32LE(p) !== PT_NOTE) continue;
		const off = Number(buf.readBigUInt64LE(p + 8));
		const size = Number(buf.readBigUInt64LE(p + 32));
		const id = inFile(off, size) ? buildIdInNotes(buf, off, off + size) : null;
		if (id) return id;
	}
	const shoff = Number(buf.readBigUInt64LE(40));
	const shentsize = buf.readUInt16LE(58);
	const shnum = buf.readUInt16LE(60);
	for (let i = 0; i < shnum && inFile(shoff + i * shentsize, 64); i++) {
		const s = shoff + i * shentsize;
		if (buf.readUInt32LE(s + 4) !== SHT_NOTE) continue;
		const off = Number(buf.readBigUInt64LE(s + 24));
		const size = Number(buf.readBigUInt64LE(s + 32));
		const id = inFile(off, size) ? buildIdInNotes(buf, off, off + size) : null;
		if (id) return id;
	}
	return null;
}

/** The identity of a file's bytes: its build-id, else the SHA-256 of the whole file. */
export function fileIdentity(buf: Buffer): FileIdentity {
	const id = elfBuildId(buf);
	return id ? { kind: 'build-id', id } : { kind: 'sha256', id: createHash('sha256').update(buf).digest('hex') };
}

/** How `-p2` and `tapfleet compile` show an identity: 0xHEX for a build-id, sha256:HEX else. */
export function formatFileIdentity(f: FileIdentity): string {
	return f.kind === 'build-id' ? `0x${f.id}` : `sha256:${f.id}`;
}

/** A uprobe event as pass 2 resolves it (controller/elaborate/program.ts), structurally. */
interface ProbeLike {
	readonly point: string;
	readonly event: { readonly kind: string; readonly path?: string; readonly file?: FileIdentity };
}

/**
 * Every file the probes' uprobes are in, once each, in probe order, with
 * the identity pass 2 read the symbols from (the same bytes the offsets
 * come from); an event made without it (a program built by hand) gets the
 * identity of the file as it is now.
 */
export function probedUserFiles(probes: readonly ProbeLike[]): UserFile[] {
	const out = new Map<string, UserFile>();
	for (const p of probes) {
		const e = p.event;
		if (e.kind !== 'uprobe' || !e.path || out.has(e.path)) continue;
		const file = e.file ?? fileIdentity(readFileSync(e.path));
		out.set(e.path, { path: e.path, kind: file.kind, id: file.id, probe: p.point });
	}
	return [...out.values()];
}

/** The identity of the file at `path` now, or null when it cannot be read. */
function identityNow(path: string): FileIdentity | null {
	try {
		return fileIdentity(readFileSync(path));
	} catch {
		return null;
	}
}

/**
 * True when a file of the list is no longer, on this machine, the build it
 * records (changed or gone): a module compiled before holds offsets of the
 * old build, so a cache must not hand it out again.
 */
export function userFilesChanged(files: readonly UserFile[]): boolean {
	return files.some((f) => {
		const now = identityNow(f.path);
		return !now || now.kind !== f.kind || now.id !== f.id;
	});
}

/** Limits the manifest holds the list to. */
export const USER_FILE_LIMITS = { maxFiles: 256, maxPathBytes: 4096, maxProbeBytes: 4096 } as const;

/** Checks a manifest's userFiles; returns the first thing wrong, or null. */
export function userFilesProblem(v: unknown): string | null {
	if (!Array.isArray(v)) return 'userFiles must be a list';
	if (v.length > USER_FILE_LIMITS.maxFiles) return `userFiles lists more than ${USER_FILE_LIMITS.maxFiles} files`;
	const seen = new Set<string>();
	for (const f of v) {
		if (typeof f !== 'object' || f === null) return 'bad userFiles entry';
		const { path, kind, id, probe } = f as Record<string, unknown>;
		if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || Buffer.byteLength(path) > USER_FILE_LIMITS.maxPathBytes) return `userFiles: bad path ${JSON.stringify(path)}`;
		if (seen.has(path)) return `userFiles: ${path} listed twice`;
		seen.add(path);
		if (kind === 'build-id') {
			if (typeof id !== 'string' || !/^[0-9a-f]+$/.test(id) || id.length % 2 !== 0 || id.length > 2 * MAX_BUILD_ID_BYTES) return `userFiles: ${path}: bad build-id`;
		} else if (kind === 'sha256') {
			if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) return `userFiles: ${path}: bad sha256`;
		} else return `userFiles: ${path}: unknown kind ${JSON.stringify(kind)}`;
		if (typeof probe !== 'string' || probe.length === 0 || Buffer.byteLength(probe) > USER_FILE_LIMITS.maxProbeBytes) return `userFiles: ${path}: bad probe`;
	}
	return null;
}
