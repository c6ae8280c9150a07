// vmlinux.h and its PCH per build-id, made by one shell child (bpftool, then
// clang) that a script-cache miss starts before pass 1: the files are what
// bpftool and clang make, named as before, and a build takes the one started
// early unless its files are gone.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { localBuildTarget } from '../../controller/build/target.js';
import { BPF_TARGET_FLAGS, sha256, toolVersion } from '../../controller/build/toolchain.js';
import { startVmlinuxHeader, vmlinuxHeader } from '../../controller/build/vmlinux-pch.js';
import { VMLINUX_BTF } from '../../controller/profile/btf.js';

const target = localBuildTarget();

test('started early: vmlinux.h is bpftool\'s dump, the PCH is named by clang\'s version and the header file; gone files are made again', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-test-'));
	try {
		startVmlinuxHeader(target, cacheDir);
		const made = await vmlinuxHeader(target, cacheDir);
		t.is(made.dir, join(cacheDir, 'vmlinux', target.buildId));
		t.deepEqual(readFileSync(join(made.dir, 'vmlinux.h')), execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'c'], { maxBuffer: 256 * 1024 * 1024 }));
		const h = statSync(join(made.dir, 'vmlinux.h'));
		t.is(basename(made.pch), `vmlinux-${sha256(`${toolVersion('clang')}\0${BPF_TARGET_FLAGS.join(' ')}\0${h.size}\0${h.mtimeMs}`).slice(0, 16)}.h.pch`);
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

/** clang takes the PCH with the header beside it (it refuses one whose header changed since). */
function compilesWith(made: { dir: string; pch: string }, scratch: string): void {
	const src = join(scratch, 'uses-pch.c');
	writeFileSync(src, 'int f(struct task_struct *t) { return t != 0; }\n');
	execFileSync('clang', [...BPF_TARGET_FLAGS, '-I', made.dir, '-include-pch', made.pch, '-c', src, '-o', join(scratch, 'uses-pch.o')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

test('two first builds of a build-id at once: the header is not replaced under the other\'s PCH, and both PCHs work', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-race-'));
	try {
		const [a, b] = await Promise.all([vmlinuxHeader(target, cacheDir), vmlinuxHeader(target, cacheDir)]);
		t.notThrows(() => compilesWith(a, cacheDir));
		t.notThrows(() => compilesWith(b, cacheDir));
		const later = await vmlinuxHeader(target, cacheDir);
		t.notThrows(() => compilesWith(later, cacheDir));
	} finally {
		rmSync(cacheDir, { recursive: true, force: true });
	}
});
