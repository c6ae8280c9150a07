// bzImage payload extraction with each decompressor we support, on
// bzImages built here around a real ELF file (/bin/true, which has a
// build-id), and its refusals of what is not a usable bzImage.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bzImagePayload, KernelImageError, vmlinuxFromKernelImage, type PayloadCompression } from '../../controller/kernel-tree/bzimage.js';
import { gnuBuildIdFromElf, gnuBuildIdOfElfFile } from '../../controller/profile/elf-notes.js';

const elfPath = '/bin/true';
const elf = readFileSync(elfPath);

/** A minimal bzImage: boot header fields as the kernel's build writes them, then the payload. */
function bzImage(compressed: Buffer, opts: { size?: number; protocol?: number } = {}): Buffer {
	const setupSectors = 1;
	const payloadOffset = 64; // within the protected-mode part
	const sized = Buffer.alloc(4);
	sized.writeUInt32LE(opts.size ?? elf.length);
	const payload = Buffer.concat([compressed, sized]);
	const image = Buffer.alloc((setupSectors + 1) * 512 + payloadOffset + payload.length);
	image[0x1f1] = setupSectors;
	image.writeUInt32LE(0x53726448, 0x202);
	image.writeUInt16LE(opts.protocol ?? 0x20f, 0x206);
	image.writeUInt32LE(payloadOffset, 0x248);
	image.writeUInt32LE(payload.length, 0x24c);
	payload.copy(image, (setupSectors + 1) * 512 + payloadOffset);
	return image;
}

const tool = (cmd: string, args: string[]) => execFileSync(cmd, args, { input: elf, maxBuffer: 64 << 20 });

const cases: Array<[PayloadCompression, () => Buffer]> = [
	['gzip', () => gzipSync(elf)],
	['xz', () => tool('xz', ['-c', '--check=crc32'])],
	['zstd', () => tool('zstd', ['-c', '-q'])],
];
for (const [compression, compress] of cases) {
	test(`a ${compression} payload decompresses to the ELF, build-id intact`, (t) => {
		const image = bzImage(compress());
		t.is(bzImagePayload(image).compression, compression);
		const vmlinux = vmlinuxFromKernelImage(image, 'test.bzImage');
		t.true(vmlinux.equals(elf));
		t.is(gnuBuildIdFromElf(vmlinux), gnuBuildIdOfElfFile(elfPath));
	});
}

test('an ELF file is taken as it is', (t) => {
	t.is(vmlinuxFromKernelImage(elf), elf);
});

test('a file that is neither ELF nor bzImage is refused by name', (t) => {
	const err = t.throws(() => vmlinuxFromKernelImage(Buffer.alloc(4096), '/boot/junk'), { instanceOf: KernelImageError });
	t.is(err?.message, '/boot/junk: not an x86 bzImage (no "HdrS" boot header at 0x202)');
});

test('a boot protocol older than 2.08 is refused: it does not locate the payload', (t) => {
	t.throws(() => vmlinuxFromKernelImage(bzImage(gzipSync(elf), { protocol: 0x205 }), 'old'), { message: /boot protocol 2\.5 is older than 2\.08/ });
});

test('a truncated image is refused', (t) => {
	const image = bzImage(gzipSync(elf));
	t.throws(() => vmlinuxFromKernelImage(image.subarray(0, image.length - 100), 'cut'), { message: /^cut: payload .* lies outside the .*-byte image: truncated file\?$/ });
});

test('a payload whose recorded size disagrees is called corrupt', (t) => {
	t.throws(() => vmlinuxFromKernelImage(bzImage(gzipSync(elf), { size: elf.length + 1 }), 'bad'), { message: /decompressed \d+ bytes, but the image says \d+: corrupt payload\?/ });
});

test('a corrupt xz payload reports what xz said', (t) => {
	const xz = tool('xz', ['-c']);
	xz.fill(0x55, 40, 80);
	t.throws(() => vmlinuxFromKernelImage(bzImage(xz), 'broken'), { message: /^broken: xz failed on the kernel payload: .+/ });
});

test('an unknown compression is named by its first bytes', (t) => {
	t.throws(() => vmlinuxFromKernelImage(bzImage(Buffer.from('not compressed at all')), 'odd'), { message: 'odd: unknown payload compression (first bytes 6e6f7420636f)' });
});
