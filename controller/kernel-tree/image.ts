// A kernel tree's image and its GNU build-id: the id a module built against
// the tree records, and that the running kernel must show in /sys/kernel/notes.
import { readFileSync } from 'node:fs';
import { gnuBuildIdFromElf } from '../profile/elf-notes.js';
import { vmlinuxFromKernelImage } from './bzimage.js';
import { firstExisting, kernelImageCandidates, KernelTreeError, type KernelTree } from './locate.js';

export interface KernelImage {
	/** The file the vmlinux came from: an ELF, or a bzImage/vmlinuz that was decompressed. */
	path: string;
	vmlinux: Buffer;
	buildId: string;
}

/** Reads (and, for a bzImage, decompresses) a kernel image and its build-id. */
export function readKernelImage(path: string): KernelImage {
	const vmlinux = vmlinuxFromKernelImage(readFileSync(path), path);
	const buildId = gnuBuildIdFromElf(vmlinux);
	if (!buildId) throw new KernelTreeError(`${path}: the kernel has no GNU build-id note (built without CONFIG_BUILD_ID? tapfleet needs it to tell kernels apart)`);
	return { path, vmlinux, buildId };
}

/** The image of a tree, looked for where trees and distributions keep it. */
export function kernelTreeImage(tree: KernelTree, imagePath?: string): KernelImage {
	const path =
		imagePath ??
		firstExisting(tree, 'kernel image (vmlinux or vmlinuz)', kernelImageCandidates(tree), `on Debian: apt-get download linux-image-${tree.release}-unsigned and unpack it with dpkg-deb -x, or run scripts/vm/prepare.sh`);
	return readKernelImage(path);
}
