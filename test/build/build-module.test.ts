// Pass 4 against the real toolchain: clang -target bpf with the per-build-id
// vmlinux.h PCH, cc for the user part, the module cache, and the result
// loaded by the real taprun on this kernel.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModule, readBuiltManifest } from '../../controller/build/build-module.js';
import { localBuildTarget } from '../../controller/build/target.js';
import { compileModuleSource } from '../../controller/build/compile-source.js';
import { vmlinuxHeader, type VmlinuxHeader } from '../../controller/build/vmlinux-pch.js';
import { BuildError, repoRoot, taprunPath } from '../../controller/build/toolchain.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-build-test-'));
const fixture = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/modules', name, `${name}.c`), 'utf8');
const target = localBuildTarget();

test.serial('builds a module directory with a manifest that taprun runs', async (t) => {
	const r = await buildModule({ name: 'hello', source: fixture('hello'), scriptText: 'probe begin { println("hello world") exit() }', target, cacheDir });
	t.false(r.cached);
	const m = readBuiltManifest(r.dir);
	t.is(m.runtime, 'bpf');
	t.is(m.target.buildId, target.buildId);
	t.deepEqual(m.files.map((f) => f.role).sort(), ['bpf-object', 'user-part']);
	t.regex(m.tools.clang ?? '', /clang/);
	// the vmlinux header and its PCH (made in the background after the first build) are cached per build-id
	const vmlinuxDir = join(cacheDir, 'vmlinux', target.buildId);
	t.true(readdirSync(vmlinuxDir).includes('vmlinux.h'));
	for (let waited = 0; waited < 60_000 && !readdirSync(vmlinuxDir).some((f) => f.endsWith('.pch')); waited += 50) await new Promise((r) => setTimeout(r, 50));
	t.true(readdirSync(vmlinuxDir).some((f) => f.endsWith('.pch')));
	// the first build included vmlinux.h as it is; with the PCH, the same source gives the same objects
	const vmlinux = await vmlinuxHeader(target, cacheDir);
	t.truthy(vmlinux.pch);
	const scratch = mkdtempSync(join(cacheDir, 'same-'));
	const source = join(scratch, 'hello.c');
	writeFileSync(source, fixture('hello'));
	const objects = async (v: VmlinuxHeader) => (await compileModuleSource(source, scratch, 'hello', v)).map((f) => f.sha256);
	t.deepEqual(await objects({ dir: vmlinux.dir }), await objects(vmlinux));
	const run = spawnSync(taprunPath, [r.dir], { encoding: 'utf8' });
	t.is(run.stdout, 'hello world\n');
	t.is(run.status, 0);
});

test.serial('an unchanged module costs nothing the second time; a change rebuilds', async (t) => {
	const req = { name: 'counter', source: fixture('counter'), scriptText: 'counter', target, cacheDir };
	const first = await buildModule(req);
	const again = await buildModule(req);
	t.true(again.cached);
	t.is(again.dir, first.dir);
	const withD = await buildModule({ ...req, defines: { MAXMAPENTRIES: 100 } });
	t.false(withD.cached);
	t.not(withD.dir, first.dir);
	// the kernel side really loads (verifier) and attaches its tracepoint
	const run = spawnSync(taprunPath, ['-T', '1', first.dir], { encoding: 'utf8' });
	t.is(run.status, 0, run.stderr);
});

test.serial('a compile error is a BuildError with the compiler message', async (t) => {
	const err = await t.throwsAsync(buildModule({ name: 'broken', source: '#include "tap.h"\nint x = ;\n', scriptText: '', target, cacheDir }));
	t.true(err instanceof BuildError);
	t.regex(err!.message, /expected expression/);
});

test('a bad module name is refused before compiling', async (t) => {
	const err = await t.throwsAsync(buildModule({ name: 'Bad-Name', source: '', scriptText: '', target, cacheDir }));
	t.regex(err!.message, /module name "Bad-Name" is not valid/);
});

test.serial('the script cache maps an unchanged script straight to its module; any change misses', async (t) => {
	const { frontKey, frontLookup, frontStore } = await import('../../controller/build/front-cache.js');
	const base = { scriptName: '<input>', scriptText: 'probe begin { exit() }', args: ['1'], options: { m: 'x' }, buildId: target.buildId, dirs: [] };
	const key = frontKey(base)!;
	t.is(frontLookup(cacheDir, key), null);
	const built = await buildModule({ name: 'front', source: fixture('hello'), scriptText: base.scriptText, target, cacheDir });
	frontStore(cacheDir, key, { moduleDir: built.dir, stderr: 'WARNING: kept\n' });
	t.deepEqual(frontLookup(cacheDir, key), { moduleDir: built.dir, stderr: 'WARNING: kept\n' });
	t.is(frontKey({ ...base }), key);
	for (const change of [{ scriptText: 'probe begin { exit () }' }, { args: ['2'] }, { options: { m: 'y' } }, { buildId: '00'.repeat(20) }, { scriptName: 'x.stp' }]) {
		t.not(frontKey({ ...base, ...change }), key, JSON.stringify(change));
	}
	// -d FILE: its symbols are in the module, so a rebuilt file (new contents, new times) is a miss
	const symbols = join(cacheDir, 'prog');
	writeFileSync(symbols, 'v1');
	const withD = frontKey({ ...base, files: [symbols] })!;
	t.not(withD, key);
	t.is(frontKey({ ...base, files: [symbols] }), withD);
	writeFileSync(`${symbols}.new`, 'v2');
	renameSync(`${symbols}.new`, symbols);
	t.not(frontKey({ ...base, files: [symbols] }), withD);
});
