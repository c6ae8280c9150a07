// A kernel tree's image and its GNU build-id: the id a module built against
// the tree records, and that the running kernel must show in /sys/kernel/notes.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { gnuBuildIdFromElf, gnuBuildIdOfElfFile } from '../profile/elf-notes.js';
import { isElf, vmlinuxFromKernelImage } from './bzimage.js';
import { firstExisting, kernelImageCandidates, KernelTreeError, type KernelTree } from './locate.js';

export interface KernelImage {
	/** The file the vmlinux came from: an ELF, or a bzImage/vmlinuz that was decompressed. */
	path: string;
	vmlinux: Buffer;
	buildId: string;
}

function noBuildId(path: string): KernelTreeError {
	return new KernelTreeError(`${path}: the kernel has no GNU build-id note (built without CONFIG_BUILD_ID? tapfleet needs it to tell kernels apart)`);
}

/** Reads (and, for a bzImage, decompresses) a kernel image and its build-id. */
export function readKernelImage(path: string): KernelImage {
	const vmlinux = vmlinuxFromKernelImage(readFileSync(path), path);
	const buildId = gnuBuildIdFromElf(vmlinux);
	if (!buildId) throw noBuildId(path);
	return { path, vmlinux, buildId };
}

function treeImagePath(tree: KernelTree): string {
	return firstExisting(
		tree,
		'kernel image (vmlinux or vmlinuz)',
		kernelImageCandidates(tree),
		`on Debian: apt-get download linux-image-${tree.release}-unsigned and unpack it with dpkg-deb -x, or run scripts/vm/prepare.sh`,
	);
}

/** The image of a tree, looked for where trees and distributions keep it. */
export function kernelTreeImage(tree: KernelTree, imagePath?: string): KernelImage {
	return readKernelImage(imagePath ?? treeImagePath(tree));
}

function startsWithElfMagic(path: string): boolean {
	const fd = openSync(path, 'r');
	try {
		const head = Buffer.alloc(4);
		return readSync(fd, head, 0, 4, 0) === 4 && isElf(head);
	} finally {
		closeSync(fd);
	}
}

/**
 * Just the build-id of a tree's kernel, what pass 4 writes into a module.
 * An ELF image (a tree's vmlinux, the cache's extracted one) is not read
 * whole: only its headers and notes; a bzImage is decompressed.
 */
export function kernelTreeBuildId(tree: KernelTree, imagePath?: string): { path: string; buildId: string } {
	const path = imagePath ?? treeImagePath(tree);
	if (!startsWithElfMagic(path)) return { path, buildId: readKernelImage(path).buildId };
	const buildId = gnuBuildIdOfElfFile(path);
	if (!buildId) throw noBuildId(path);
	return { path, buildId };
}
