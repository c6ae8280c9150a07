// vmlinux.h of a target kernel (bpftool btf dump of its BTF) and that header
// precompiled by clang, cached per build-id: parsing the 2.8 MB header is
// most of clang's time on a small module (~0.4 s of ~0.5 s); the PCH cuts a
// compile to ~0.15 s. Files are written to a temporary name and renamed, so
// concurrent builds never see half a file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildTarget } from './target.js';
import { BPF_TARGET_FLAGS, BuildError, runTool, sha256, toolVersion } from './toolchain.js';

export interface VmlinuxHeader {
	/** Folder holding vmlinux.h (on the include path: the runtime includes it by name). */
	dir: string;
	/** The precompiled header, for -include-pch. */
	pch: string;
}

const BUILD_ID = /^[0-9a-f]{8,128}$/;

function tmpName(path: string): string {
	return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

function dumpVmlinuxHeader(target: BuildTarget, out: string): void {
	let btfPath: string;
	let scratch: string | undefined;
	if ('path' in target.btf) {
		btfPath = target.btf.path;
	} else {
		scratch = tmpName(join(out, '..', 'vmlinux.btf'));
		writeFileSync(scratch, target.btf.bytes());
		btfPath = scratch;
	}
	try {
		const text = execFileSync('bpftool', ['btf', 'dump', 'file', btfPath, 'format', 'c'], {
			maxBuffer: 256 * 1024 * 1024,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const tmp = tmpName(out);
		writeFileSync(tmp, text);
		renameSync(tmp, out);
	} catch (e) {
		const err = e as { stderr?: Buffer; code?: string };
		if (err.code === 'ENOENT') throw new BuildError('bpftool is not installed (the bpf runtime needs it for vmlinux.h)');
		throw new BuildError(`bpftool btf dump of ${btfPath} failed: ${err.stderr?.toString() ?? String(e)}`);
	} finally {
		if (scratch) rmSync(scratch, { force: true });
	}
}

/** vmlinux.h and its PCH for `target`, built on the first use of each build-id. */
export function vmlinuxHeader(target: BuildTarget, cacheRoot: string): VmlinuxHeader {
	if (!BUILD_ID.test(target.buildId)) throw new BuildError(`"${target.buildId}" is not a build-id (lowercase hex expected)`);
	const dir = join(cacheRoot, 'vmlinux', target.buildId);
	mkdirSync(dir, { recursive: true });
	const header = join(dir, 'vmlinux.h');
	if (!existsSync(header)) dumpVmlinuxHeader(target, header);
	// A PCH is only valid for the clang and the flags that made it.
	const flavour = sha256(`${toolVersion('clang')}\0${BPF_TARGET_FLAGS.join(' ')}`).slice(0, 16);
	const pch = join(dir, `vmlinux-${flavour}.h.pch`);
	if (!existsSync(pch)) {
		const tmp = tmpName(pch);
		runTool('clang', [...BPF_TARGET_FLAGS, '-x', 'c-header', header, '-o', tmp]);
		renameSync(tmp, pch);
	}
	return { dir, pch };
}
