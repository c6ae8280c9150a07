// Getting the kernel ELF (vmlinux) out of an x86 bzImage such as Debian's
// /boot/vmlinuz-*. The build-id lives in the ELF's notes, and neither
// readelf nor we can see it through the compressed boot image.
//
// Layout (Documentation/arch/x86/boot.rst): the real-mode setup code takes
// (setup_sects + 1) 512-byte sectors; the protected-mode part follows. Its
// header names where the compressed kernel ("payload") starts, relative to
// the protected-mode part, and how long it is. The kernel's build appends
// the decompressed size as a little-endian u32 to every payload.
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';

const HEADER_MAGIC = 0x53726448; // "HdrS" at 0x202
const MIN_PROTOCOL_WITH_PAYLOAD = 0x208; // boot protocol 2.08 added payload_offset/length
// The decompressed kernel is tens of MiB; refuse absurd sizes rather than allocate them.
const MAX_VMLINUX_BYTES = 1 << 30;

export class KernelImageError extends Error {
	constructor(
		readonly file: string,
		message: string,
	) {
		super(`${file}: ${message}`);
		this.name = 'KernelImageError';
	}
}

export type PayloadCompression = 'gzip' | 'xz' | 'lzma' | 'zstd' | 'bzip2' | 'lz4' | 'lzo' | 'none';

export interface BzImagePayload {
	compression: PayloadCompression;
	/** The compressed bytes, without the appended size. */
	data: Buffer;
	/** The decompressed size the kernel's build recorded. */
	decompressedSize: number;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

// Magic numbers as the kernel's own scripts/extract-vmlinux looks for them.
const MAGICS: Array<[PayloadCompression, Buffer]> = [
	['gzip', Buffer.from([0x1f, 0x8b, 0x08])],
	['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
	['bzip2', Buffer.from('BZh')],
	['lzma', Buffer.from([0x5d, 0x00, 0x00])],
	['lzo', Buffer.from([0x89, 0x4c, 0x5a])],
	['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
	['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
	['none', ELF_MAGIC],
];

export function isElf(buf: Buffer): boolean {
	return buf.length >= 4 && buf.subarray(0, 4).equals(ELF_MAGIC);
}

export function isBzImage(buf: Buffer): boolean {
	return buf.length >= 0x250 && buf.readUInt32LE(0x202) === HEADER_MAGIC;
}

/** Finds the compressed kernel inside a bzImage, with its format. */
export function bzImagePayload(image: Buffer, file = 'bzImage'): BzImagePayload {
	if (!isBzImage(image)) throw new KernelImageError(file, 'not an x86 bzImage (no "HdrS" boot header at 0x202)');
	const protocol = image.readUInt16LE(0x206);
	if (protocol < MIN_PROTOCOL_WITH_PAYLOAD) {
		throw new KernelImageError(file, `boot protocol ${protocol >> 8}.${protocol & 0xff} is older than 2.08 and does not say where the kernel is`);
	}
	const setupSectors = image[0x1f1] || 4; // 0 means 4, for ancient images
	const protectedModeStart = (setupSectors + 1) * 512;
	const start = protectedModeStart + image.readUInt32LE(0x248);
	const length = image.readUInt32LE(0x24c);
	if (length < 8 || start + length > image.length) {
		throw new KernelImageError(file, `payload (offset ${start}, ${length} bytes) lies outside the ${image.length}-byte image: truncated file?`);
	}
	const payload = image.subarray(start, start + length);
	const found = MAGICS.find(([, magic]) => payload.subarray(0, magic.length).equals(magic));
	if (!found) throw new KernelImageError(file, `unknown payload compression (first bytes ${payload.subarray(0, 6).toString('hex')})`);
	const compression = found[0];
	if (compression === 'none') return { compression, data: payload, decompressedSize: payload.length };
	return {
		compression,
		data: payload.subarray(0, length - 4),
		decompressedSize: payload.readUInt32LE(length - 4),
	};
}

// Decompressors we do not have in Node run as the usual command-line tools
// (xz-utils, zstd, bzip2, lz4 are on every distribution that ships such kernels).
const TOOLS: Partial<Record<PayloadCompression, [string, string[]]>> = {
	xz: ['xz', ['-dc', '--single-stream']],
	lzma: ['xz', ['-dc', '--format=lzma']],
	zstd: ['zstd', ['-dcq']],
	bzip2: ['bzip2', ['-dc']],
	lz4: ['lz4', ['-dcq']],
};

function decompress(payload: BzImagePayload, file: string): Buffer {
	if (payload.decompressedSize > MAX_VMLINUX_BYTES) {
		throw new KernelImageError(file, `payload claims ${payload.decompressedSize} bytes decompressed, more than the ${MAX_VMLINUX_BYTES}-byte limit`);
	}
	if (payload.compression === 'none') return payload.data;
	if (payload.compression === 'gzip') return gunzipSync(payload.data, { maxOutputLength: MAX_VMLINUX_BYTES });
	const tool = TOOLS[payload.compression];
	if (!tool) throw new KernelImageError(file, `${payload.compression}-compressed kernels are not supported`);
	const [cmd, args] = tool;
	const run = spawnSync(cmd, args, { input: payload.data, maxBuffer: MAX_VMLINUX_BYTES + 1 });
	if (run.error) {
		const why = (run.error as NodeJS.ErrnoException).code === 'ENOENT' ? `'${cmd}' is not installed` : run.error.message;
		throw new KernelImageError(file, `cannot decompress the ${payload.compression} kernel payload: ${why}`);
	}
	if (run.status !== 0) {
		throw new KernelImageError(file, `${cmd} failed on the kernel payload: ${run.stderr.toString().trim() || `exit ${run.status}`}`);
	}
	return run.stdout;
}

/**
 * The vmlinux ELF inside a bzImage. An ELF passed in is returned as is, so
 * callers can hand over whichever kernel image they found.
 */
export function vmlinuxFromKernelImage(image: Buffer, file = 'kernel image'): Buffer {
	if (isElf(image)) return image;
	const payload = bzImagePayload(image, file);
	const vmlinux = decompress(payload, file);
	if (!isElf(vmlinux)) throw new KernelImageError(file, `the decompressed ${payload.compression} payload is not an ELF file`);
	if (payload.compression !== 'none' && vmlinux.length !== payload.decompressedSize) {
		throw new KernelImageError(file, `decompressed ${vmlinux.length} bytes, but the image says ${payload.decompressedSize}: corrupt payload?`);
	}
	return vmlinux;
}
