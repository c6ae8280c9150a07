// vmlinux.h and its PCH per build-id, made by one shell child (bpftool, then
// clang) that a script-cache miss starts before pass 1: the files are what
// bpftool and clang make, named as before, and a build takes the one started
// early unless its files are gone.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { localBuildTarget } from '../../controller/build/target.js';
import { BPF_TARGET_FLAGS, sha256, toolVersion } from '../../controller/build/toolchain.js';
import { startVmlinuxHeader, vmlinuxHeader } from '../../controller/build/vmlinux-pch.js';
import { VMLINUX_BTF } from '../../controller/profile/btf.js';

const target = localBuildTarget();

test('started early: vmlinux.h is bpftool\'s dump, the PCH is named by clang\'s version; gone files are made again', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-test-'));
	try {
		startVmlinuxHeader(target, cacheDir);
		const made = await vmlinuxHeader(target, cacheDir);
		t.is(made.dir, join(cacheDir, 'vmlinux', target.buildId));
		t.deepEqual(readFileSync(join(made.dir, 'vmlinux.h')), execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'c'], { maxBuffer: 256 * 1024 * 1024 }));
		t.is(basename(made.pch), `vmlinux-${sha256(`${toolVersion('clang')}\0${BPF_TARGET_FLAGS.join(' ')}`).slice(0, 16)}.h.pch`);
		t.true(existsSync(made.pch));
		// files removed while an early start is pending or done: the build gets them made again
		startVmlinuxHeader(target, cacheDir);
		rmSync(made.pch);
		const again = await vmlinuxHeader(target, cacheDir);
		t.is(again.pch, made.pch);
		t.true(existsSync(again.pch));
	} finally {
		rmSync(cacheDir, { recursive: true, force: true });
	}
});
