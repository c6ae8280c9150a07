// Finding a kernel tree by -r RELEASE or --kernel-tree DIR, and what is said
// when it is not there or not usable.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTreeBuildId, kernelTreeImage } from '../../controller/kernel-tree/image.js';
import { gnuBuildIdOfElfFile } from '../../controller/profile/elf-notes.js';
import { KernelTreeError, locateKernelTree } from '../../controller/kernel-tree/locate.js';
import { capabilitiesFromConfig } from '../../controller/kernel-tree/profile.js';

const tmp = mkdtempSync(join(tmpdir(), 'tapfleet-tree-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** A configured tree with nothing else: enough for locating, not for building. */
function fakeTree(name: string, release: string): string {
	const dir = join(tmp, name);
	mkdirSync(join(dir, 'include/generated'), { recursive: true });
	writeFileSync(join(dir, 'Makefile'), '');
	writeFileSync(join(dir, '.config'), 'CONFIG_MODULES=y\n');
	writeFileSync(join(dir, 'include/generated/utsrelease.h'), `#define UTS_RELEASE "${release}"\n`);
	return dir;
}

// The Debian headers that scripts/apt-packages.txt installs.
const installed = execFileSync('dpkg-query', ['-W', '-f=${Depends}', 'linux-headers-amd64'], { encoding: 'utf8' }).split(' ')[0]!.replace(/^linux-headers-/, '');

test('-r RELEASE finds /lib/modules/RELEASE/build and its release', (t) => {
	const tree = locateKernelTree({ release: installed });
	t.is(tree.dir, `/lib/modules/${installed}/build`);
	t.is(tree.release, installed);
	t.is(tree.config, `/lib/modules/${installed}/build/.config`);
});

test('-r with no tree says which package gives one', (t) => {
	const err = t.throws(() => locateKernelTree({ release: '9.9.9-tapfleet' }), { instanceOf: KernelTreeError });
	t.is(err?.message, "-r 9.9.9-tapfleet: no kernel tree at /lib/modules/9.9.9-tapfleet/build (on Debian: apt-get install linux-headers-9.9.9-tapfleet; or name one with --kernel-tree DIR)");
});

test('-r refuses a name that is not a release (no paths)', (t) => {
	t.throws(() => locateKernelTree({ release: '../../etc' }), { message: '-r ../../etc: not a kernel release name' });
});

test('--kernel-tree takes the release from the generated headers', (t) => {
	const dir = fakeTree('ok', '6.6.6-test');
	t.deepEqual(locateKernelTree({ treeDir: dir }), { dir, release: '6.6.6-test', requestedAs: `--kernel-tree ${dir}`, config: join(dir, '.config') });
});

test('--kernel-tree refuses a missing directory, an unconfigured one, an unprepared one', (t) => {
	t.throws(() => locateKernelTree({ treeDir: join(tmp, 'nope') }), { message: `--kernel-tree ${join(tmp, 'nope')}: no such directory` });
	const bare = join(tmp, 'bare');
	mkdirSync(bare);
	t.throws(() => locateKernelTree({ treeDir: bare }), { message: /is not a configured kernel build tree \(it needs a Makefile and a \.config\)$/ });
	const unprepared = fakeTree('unprepared', 'x');
	rmSync(join(unprepared, 'include'), { recursive: true });
	t.throws(() => locateKernelTree({ treeDir: unprepared }), { message: /has no include\/generated\/utsrelease\.h: run 'make modules_prepare' in it first$/ });
});

test('a tree with no kernel image anywhere says where it looked', (t) => {
	const tree = locateKernelTree({ treeDir: fakeTree('noimage', '0.0.0-tapfleet-none') });
	const err = t.throws(() => kernelTreeImage(tree), { instanceOf: KernelTreeError });
	t.regex(err?.message ?? '', /^--kernel-tree .*: no kernel image \(vmlinux or vmlinuz\) for 0\.0\.0-tapfleet-none; looked at .*\/vmlinux, .*\/boot\/vmlinuz-0\.0\.0-tapfleet-none/);
});

test('the build-id of a tree comes from the image it is given; an image without one is refused', (t) => {
	const tree = locateKernelTree({ treeDir: fakeTree('buildid', '0.0.1-tapfleet') });
	t.deepEqual(kernelTreeBuildId(tree, '/bin/true'), { path: '/bin/true', buildId: gnuBuildIdOfElfFile('/bin/true')! });
	const stripped = join(tmp, 'no-build-id');
	execFileSync('objcopy', ['--remove-section', '.note.gnu.build-id', '/bin/true', stripped]);
	t.throws(() => kernelTreeBuildId(tree, stripped), { instanceOf: KernelTreeError, message: `${stripped}: the kernel has no GNU build-id note (built without CONFIG_BUILD_ID? tapfleet needs it to tell kernels apart)` });
});

test('capabilities from a .config name the options they rest on', (t) => {
	const caps = capabilitiesFromConfig({ CONFIG_MODULES: 'y', CONFIG_KPROBES: 'y', CONFIG_BPF_SYSCALL: 'y' }, '5.10.0-1-amd64');
	t.true(caps.modules.available);
	t.is(caps.kprobe.reason, "CONFIG_KPROBE_EVENTS not set in the tree's .config");
	t.true(caps.ringbuf.available);
	t.is(caps.bpfLoop.reason, 'needs Linux 5.17 or later (the tree is 5.10.0-1-amd64)');
});
