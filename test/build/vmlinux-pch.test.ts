// vmlinux.h per build-id, dumped by bpftool in a shell child that a
// script-cache miss starts before pass 1, and its PCH, made by a detached
// clang in the background: the files are what bpftool and clang make, a
// build takes the one started early unless its files are gone, and a build
// before the PCH is there compiles with the header as it is.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { localBuildTarget } from '../../controller/build/target.js';
import { BPF_TARGET_FLAGS, sha256, toolVersion } from '../../controller/build/toolchain.js';
import { startVmlinuxHeader, vmlinuxHeader } from '../../controller/build/vmlinux-pch.js';
import { VMLINUX_BTF } from '../../controller/profile/btf.js';

const target = localBuildTarget();

/** The PCH the background clang makes for `dir`'s header, once it is there (up to a minute). */
async function pchMade(dir: string): Promise<string> {
	const h = statSync(join(dir, 'vmlinux.h'));
	const pch = join(dir, `vmlinux-${sha256(`${toolVersion('clang')}\0${BPF_TARGET_FLAGS.join(' ')}\0${h.size}\0${h.mtimeMs}`).slice(0, 16)}.h.pch`);
	for (let waited = 0; !existsSync(pch) && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
	return pch;
}

test('started early: vmlinux.h is bpftool\'s dump; the PCH is made in the background (a first build waits only for one long under way), named by clang\'s version and the header file, and taken by later builds; gone files are made again', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-test-'));
	try {
		startVmlinuxHeader(target, cacheDir);
		const first = await vmlinuxHeader(target, cacheDir);
		t.is(first.dir, join(cacheDir, 'vmlinux', target.buildId));
		t.deepEqual(readFileSync(join(first.dir, 'vmlinux.h')), execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'c'], { maxBuffer: 256 * 1024 * 1024 }));
		// the first build includes the header as it is, unless the PCH had been under way long enough to wait
		// for it (a loaded machine made this process late to hear that bpftool was done)
		t.notThrows(() => compilesWith(first, cacheDir));
		const pch = await pchMade(first.dir);
		if (first.pch) t.is(first.pch, pch);
		t.true(existsSync(pch), 'the PCH was made in the background');
		t.false(readdirSync(first.dir).some((f) => /\.making$|\.tmp-/.test(f)), 'no marker or temporary file left');
		const made = await vmlinuxHeader(target, cacheDir);
		t.is(made.pch, pch);
		t.notThrows(() => compilesWith(made, cacheDir));
		// files removed while an early start is pending or done: the build gets them made again
		startVmlinuxHeader(target, cacheDir);
		rmSync(pch);
		const again = await vmlinuxHeader(target, cacheDir);
		t.notThrows(() => compilesWith(again, cacheDir));
		t.is(await pchMade(again.dir), pch);
		t.is((await vmlinuxHeader(target, cacheDir)).pch, pch);
	} finally {
		rmSync(cacheDir, { recursive: true, force: true });
	}
});

test('a PCH under way is not started twice; a marker whose process is gone, or left long ago, is taken over', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-marker-'));
	try {
		const first = await vmlinuxHeader(target, cacheDir);
		const marker = join(first.dir, 'vmlinux.h.pch.making');
		// (unless this build waited for it: then it is done and the marker gone)
		if (!first.pch) t.is(readFileSync(marker, 'utf8'), `${process.pid}\n`, 'this process makes it');
		const clangs = () => spawnSync('pgrep', ['-f', `^clang .*${first.dir}/vmlinux.*\\.tmp-`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
		await vmlinuxHeader(target, cacheDir);
		await vmlinuxHeader(target, cacheDir);
		t.true(clangs() <= 1, 'one clang makes it');
		t.true(readdirSync(first.dir).filter((f) => f.includes('.tmp-')).length <= 1);
		const pch = await pchMade(first.dir);
		t.true(existsSync(pch));
		for (let waited = 0; existsSync(marker) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
		t.false(existsSync(marker), 'the marker goes with the PCH made');
		// a marker from a build killed long ago (pid 1 lives, but the file is 10 minutes old): taken over
		rmSync(pch);
		writeFileSync(marker, '1\n');
		const old = new Date(Date.now() - 600_000);
		utimesSync(marker, old, old);
		t.is((await vmlinuxHeader(target, cacheDir)).pch, undefined);
		t.is(await pchMade(first.dir), pch);
		// a fresh marker of a process that is gone: taken over
		rmSync(pch);
		const gone = spawnSync('true');
		writeFileSync(marker, `${gone.pid}\n`);
		t.is((await vmlinuxHeader(target, cacheDir)).pch, undefined);
		t.is(await pchMade(first.dir), pch);
		// a fresh marker of a live process (another run's clang at work): left alone, nothing started
		for (let waited = 0; existsSync(marker) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
		rmSync(pch);
		writeFileSync(marker, '1\n');
		t.is((await vmlinuxHeader(target, cacheDir)).pch, undefined);
		await new Promise((r) => setTimeout(r, 1500));
		t.false(existsSync(pch));
		t.is(readFileSync(marker, 'utf8'), '1\n');
	} finally {
		rmSync(cacheDir, { recursive: true, force: true });
	}
});

/** clang takes the PCH with the header beside it (it refuses one whose header changed since); without one, the header. */
function compilesWith(made: { dir: string; pch?: string }, scratch: string): void {
	const src = join(scratch, 'uses-pch.c');
	writeFileSync(src, 'int f(struct task_struct *t) { return t != 0; }\n');
	const header = made.pch ? ['-include-pch', made.pch] : ['-include', join(made.dir, 'vmlinux.h')];
	execFileSync('clang', [...BPF_TARGET_FLAGS, '-I', made.dir, ...header, '-c', src, '-o', join(scratch, 'uses-pch.o')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

test('two first builds of a build-id at once: the header is not replaced under the other\'s PCH, and both PCHs work', async (t) => {
	const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-pch-race-'));
	try {
		const [a, b] = await Promise.all([vmlinuxHeader(target, cacheDir), vmlinuxHeader(target, cacheDir)]);
		t.notThrows(() => compilesWith(a, cacheDir));
		t.notThrows(() => compilesWith(b, cacheDir));
		await pchMade(a.dir);
		const later = await vmlinuxHeader(target, cacheDir);
		t.truthy(later.pch);
		t.notThrows(() => compilesWith(later, cacheDir));
	} finally {
		rmSync(cacheDir, { recursive: true, force: true });
	}
});
