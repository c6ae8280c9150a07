// Finding a kernel build tree and the files that belong to it: `-r RELEASE`
// means /lib/modules/RELEASE/build, `--kernel-tree DIR` a tree anywhere.
// Distribution header packages (Debian's linux-headers-*) carry .config,
// Module.symvers and the generated headers, but neither vmlinux nor
// System.map: those come with the kernel image package, in /boot, or in
// tapfleet's own cache of unpacked images (scripts/vm/prepare.sh fills it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MODULES_ROOT = '/lib/modules';
/** Where scripts/vm/prepare.sh unpacks distribution kernel images: <root>/<release>/image. */
export const IMAGE_CACHE_ROOT = process.env.TAPFLEET_VM_CACHE ?? '/var/cache/tapfleet/vm';

export class KernelTreeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'KernelTreeError';
	}
}

export interface KernelTree {
	/** The build directory (what kbuild's -C takes). */
	dir: string;
	/** The release its modules are built for (UTS_RELEASE), e.g. 6.1.0-56-amd64. */
	release: string;
	/** How it was asked for, for messages: "-r 6.1.0-56-amd64" or "--kernel-tree /src/linux". */
	requestedAs: string;
	config: string;
}

export type TreeRequest = { release: string } | { treeDir: string };

const RELEASE_RE = /^[A-Za-z0-9._+~-]+$/;

/** The release a tree builds for, from its generated headers. */
export function treeRelease(dir: string): string | undefined {
	// utsrelease.h holds the full release (Debian's include/config/kernel.release has only the upstream version).
	const uts = readIfExists(join(dir, 'include/generated/utsrelease.h'));
	const m = uts && /#define UTS_RELEASE "([^"]+)"/.exec(uts);
	if (m) return m[1];
	return readIfExists(join(dir, 'include/config/kernel.release'))?.trim() || undefined;
}

export function locateKernelTree(request: TreeRequest): KernelTree {
	let dir: string;
	let requestedAs: string;
	if ('release' in request) {
		requestedAs = `-r ${request.release}`;
		if (!RELEASE_RE.test(request.release)) throw new KernelTreeError(`${requestedAs}: not a kernel release name`);
		dir = join(MODULES_ROOT, request.release, 'build');
		if (!existsSync(dir)) {
			throw new KernelTreeError(`${requestedAs}: no kernel tree at ${dir} (on Debian: apt-get install linux-headers-${request.release}; or name one with --kernel-tree DIR)`);
		}
	} else {
		requestedAs = `--kernel-tree ${request.treeDir}`;
		dir = request.treeDir;
		if (!isDirectory(dir)) throw new KernelTreeError(`${requestedAs}: no such directory`);
	}
	const config = join(dir, '.config');
	if (!existsSync(config) || !existsSync(join(dir, 'Makefile'))) {
		throw new KernelTreeError(`${requestedAs}: ${dir} is not a configured kernel build tree (it needs a Makefile and a .config)`);
	}
	const release = treeRelease(dir);
	if (!release) {
		throw new KernelTreeError(`${requestedAs}: ${dir} has no include/generated/utsrelease.h: run 'make modules_prepare' in it first`);
	}
	if ('release' in request && release !== request.release) {
		throw new KernelTreeError(`${requestedAs}: the tree at ${dir} builds for ${release}, not ${request.release}`);
	}
	return { dir, release, requestedAs, config };
}

/** Candidate kernel images of a tree, best first: ELF files before bzImages (no decompression). */
export function kernelImageCandidates(tree: KernelTree): string[] {
	const rel = tree.release;
	return [
		join(tree.dir, 'vmlinux'),
		`/usr/lib/debug/boot/vmlinux-${rel}`,
		join(IMAGE_CACHE_ROOT, rel, 'vmlinux'),
		join(tree.dir, 'arch/x86/boot/bzImage'),
		`/boot/vmlinuz-${rel}`,
		join(MODULES_ROOT, rel, 'vmlinuz'),
		join(IMAGE_CACHE_ROOT, rel, 'image/boot', `vmlinuz-${rel}`),
	];
}

export function systemMapCandidates(tree: KernelTree): string[] {
	const rel = tree.release;
	return [join(tree.dir, 'System.map'), `/boot/System.map-${rel}`, join(IMAGE_CACHE_ROOT, rel, 'image/boot', `System.map-${rel}`)];
}

/** The first candidate that exists, or a KernelTreeError listing where it looked. */
export function firstExisting(tree: KernelTree, what: string, candidates: string[], hint: string): string {
	const found = candidates.find((p) => existsSync(p));
	if (found) return found;
	throw new KernelTreeError(`${tree.requestedAs}: no ${what} for ${tree.release}; looked at ${candidates.join(', ')} (${hint})`);
}

function readIfExists(path: string): string | undefined {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return undefined;
	}
}

function isDirectory(path: string): boolean {
	try {
		return statSync(path).isDirectory();
	} catch {
		return false;
	}
}
