// Passes 3-4 for the kmod runtime on this machine (no VM): `tapfleet
// compile --runtime kmod -r RELEASE` kbuilds a script against the installed
// Debian tree into a module directory whose manifest and modinfo carry the
// tree image's build-id; `--runtime auto` says which runtime and why; kbuild
// errors reach the user; a missing tree is a one-line error.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfFunctions } from '../../controller/elaborate/elf-symbols.js';
import { elfSection } from '../../controller/kernel-tree/elf-sections.js';
import { kernelTreeBuildId } from '../../controller/kernel-tree/image.js';
import { locateKernelTree, MODULES_ROOT } from '../../controller/kernel-tree/locate.js';
import { BuildError, repoRoot } from '../../controller/build/toolchain.js';
import { buildKmodModule } from '../../controller/build/kmod-module.js';

const cache = mkdtempSync(join(tmpdir(), 'tapfleet-kmod-compile-'));
const rel = readdirSync(MODULES_ROOT).find((r) => r !== release() && /-amd64$/.test(r));
if (!rel) throw new Error(`no Debian kernel tree in ${MODULES_ROOT} (apt-get install linux-headers-amd64)`);
const tree = locateKernelTree({ release: rel });

test.after.always(() => rmSync(cache, { recursive: true, force: true }));

function tapfleet(args: string[]) {
	const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tapfleet'), ...args], {
		encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 600_000,
	});
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function modinfo(ko: string): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const entry of elfSection(readFileSync(ko), '.modinfo')!.toString('latin1').split('\0')) {
		const eq = entry.indexOf('=');
		if (eq > 0) fields[entry.slice(0, eq)] = entry.slice(eq + 1);
	}
	return fields;
}

const VFS = `global calls, bytes
probe kernel.function("vfs_read") { calls++ }
probe kernel.function("vfs_read").return { if ($return > 0) bytes += $return }
probe timer.ms(100) { printf("%s %d\\n", execname(), calls) }
probe end { printf("vfs_read: %d calls, %d bytes\\n", calls, bytes) }
`;

test('compile -p4 --runtime kmod -r RELEASE: a module directory for the tree\'s build-id (manifest and modinfo)', async (t) => {
	t.timeout(600_000, 'kbuild beside the rest of the suite');
	const r = tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', rel, '-m', 'vfs', '-e', VFS]);
	t.is(r.status, 0, r.stderr);
	const dir = r.stdout.trim();
	const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
	const { buildId } = kernelTreeBuildId(tree);
	t.is(manifest.runtime, 'kmod');
	t.is(manifest.name, 'tapfleet_vfs');
	t.deepEqual(manifest.target, { buildId, release: rel, arch: 'x86_64' });
	t.is(manifest.files.length, 1);
	t.is(manifest.files[0].role, 'kernel-module');
	t.is(manifest.files[0].name, 'tapfleet_vfs.ko');
	t.deepEqual(manifest.probes.map((p: { point: string }) => p.point), ['kernel.function("vfs_read")', 'kernel.function("vfs_read").return', 'timer.ms(100)', 'end']);
	const info = modinfo(join(dir, 'tapfleet_vfs.ko'));
	t.is(info.build_id, buildId);
	t.is(info.script_hash, manifest.script.sha256);
	t.regex(info.vermagic ?? '', new RegExp(`^${rel.replace(/\./g, '\\.')} SMP `));
	// the second time nothing is compiled: the same directory from the cache
	t.is(tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', rel, '-m', 'vfs', '-e', VFS]).stdout.trim(), dir);
});

test('-p3 --runtime kmod: kprobe and kretprobe descriptors, $return from the runtime', (t) => {
	const r = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-e', VFS]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.includes('.kind = TAP_PK_KERNEL, .prog = "kprobe/vfs_read", .run = probe_0'));
	t.true(r.stdout.includes('.kind = TAP_PK_KERNEL, .prog = "kretprobe/vfs_read", .run = probe_1'));
	t.true(r.stdout.includes('tap_return_value(c)'));
	t.false(r.stdout.includes('TAP_SIDE_KERNEL'));
});

test('-p3 --runtime kmod: user_mode(), addr() and uaddr() read the probe\'s registers through the runtime (run in the VM by probe-kinds.ts)', (t) => {
	const r = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-e', 'probe kernel.function("vfs_read") { printf("%d %x %x\\n", user_mode(), addr(), uaddr()) }']);
	t.is(r.status, 0, r.stderr);
	for (const call of ['tap_user_mode(c)', 'tap_addr(c)', 'tap_uaddr()']) t.true(r.stdout.includes(call), call);
});

test('-p3 --runtime kmod: uprobe and uretprobe descriptors at the ELF symbol\'s file offset, $argN and $return from the task\'s registers', (t) => {
	const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
	const r = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-e',
		`probe process("${libc}").function("setpriority") { printf("%d\\n", $arg3) } probe process("${libc}").function("setpriority").return { printf("%d\\n", $return) }`]);
	t.is(r.status, 0, r.stderr);
	const offset = elfFunctions(libc).find((f) => f.name === 'setpriority')!.fileOffset.toString(16);
	t.true(r.stdout.includes(`.prog = "uprobe/${libc}:0x${offset}", .run = probe_0`), r.stdout.slice(-600));
	t.true(r.stdout.includes(`.prog = "uretprobe/${libc}:0x${offset}", .run = probe_1`));
	t.true(r.stdout.includes('regs_get_kernel_argument(tap_regs(c), 2)'));
	t.true(r.stdout.includes('tap_return_value(c)'));
});

test('--runtime auto: kmod for the tree (modules load, build-id matches), bpf for this host; one line saying why', (t) => {
	const kmod = tapfleet(['compile', '-p2', '--runtime', 'auto', '-r', rel, '-e', 'probe kernel.function("vfs_read") { exit() }']);
	t.is(kmod.status, 0, kmod.stderr);
	t.regex(kmod.stderr, new RegExp(`^# runtime: kmod for ${rel.replace(/\./g, '\\.')} \\(build-id [0-9a-f]{12}\\): modules load there and the kernel tree /lib/modules/.*/build matches build-id`));
	t.true(kmod.stdout.includes('kernel.function("vfs_read")'));
	const bpf = tapfleet(['list', '--runtime', 'auto', 'begin']);
	t.regex(bpf.stderr, /^# runtime: bpf for .*: the kernel does not load modules \(/);
	t.is(bpf.stdout, 'begin\n');
});

test('a kbuild error is shown with the generated file\'s line:col, and the file stays for inspection', async (t) => {
	t.timeout(600_000, 'kbuild beside the rest of the suite');
	const source = '#include "tap.h"\nstatic int probe_0(struct tap_context *c) { return nosuch; }\n';
	const target = { tree: tree.dir, release: rel, arch: 'x86_64', buildId: kernelTreeBuildId(tree).buildId };
	const err = await t.throwsAsync(buildKmodModule({ name: 'broken', source, scriptText: 'probe begin {}', target, cacheDir: cache }), { instanceOf: BuildError });
	const m = /^kbuild failed:\n(?:.*\n)*?(\S+\/broken\.c):2:52: error: /m.exec(err!.message);
	t.truthy(m, err!.message);
	t.is(readFileSync(m![1]!, 'utf8'), source);
});

test('no tree for the release: one line saying how to get it', (t) => {
	const r = tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', '9.9.9-nosuch', '-e', 'probe begin { exit() }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /-r 9\.9\.9-nosuch: no kernel tree at \/lib\/modules\/9\.9\.9-nosuch\/build \(on Debian: apt-get install linux-headers-9\.9\.9-nosuch/);
	t.false(r.stderr.includes('    at '));
});

test('-p3 --runtime kmod: a call the kmod runtime lacks is a pass-3 error at the call naming the kmod runtime, not a kbuild failure', (t) => {
	for (const [script, want] of [
		['probe begin { println(matched(1)) exit() }', /^<input>:1:23: function matched\(\) is not available in the kmod runtime yet\nPass 3: translation failed/m],
	] as const) {
		const r = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-e', script]);
		t.is(r.status, 1, script);
		t.regex(r.stderr, want);
	}
});

test('-p3 --runtime kmod -d FILE: the module carries FILE\'s function symbols by file offset (sorted), with the probed files\'; a missing or non-ELF FILE is refused by name', (t) => {
	const r = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-d', '/bin/bash', '-e', 'probe timer.profile { print(sprint_ubacktrace()) }']);
	t.is(r.status, 0, r.stderr);
	const m = /static const struct tap_usym tap_usyms_0\[\] = \{\n((?:\t\{ 0x[0-9a-f]+UL, 0x[0-9a-f]+UL, "[^"]+" \},\n)+)\};\nconst struct tap_ufile tap_kmod_ufiles\[\] = \{\n\t\{ "\/usr\/bin\/bash", tap_usyms_0, (\d+) \},\n\};\nconst unsigned int tap_kmod_nufiles = 1;/.exec(r.stdout);
	t.truthy(m, r.stdout.slice(0, 2000));
	const starts = m![1]!.trim().split('\n').map((l) => BigInt(/0x[0-9a-f]+/.exec(l)![0]));
	t.is(starts.length, Number(m![2]));
	t.true(starts.every((s, i) => i === 0 || starts[i - 1]! <= s));
	// without -d and without a uprobe: no table (one empty entry, C has no empty arrays)
	t.regex(tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-e', 'probe timer.profile { print(sprint_ubacktrace()) }']).stdout, /const unsigned int tap_kmod_nufiles = 0;/);
	for (const [file, why] of [['/nonexistent/x', 'no such file'], ['/etc/hostname', "'/etc/hostname' is not an ELF file"]] as const) {
		const bad = tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', rel, '-d', file, '-e', 'probe begin { }']);
		t.is(bad.status, 1);
		t.is(bad.stderr, `tapfleet compile: -d ${file}: ${why}\n`);
	}
});
