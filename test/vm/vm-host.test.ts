// The test VM itself: it boots Debian's kernel (the one linux-headers-amd64
// belongs to), reaches a payload service over the forwarded port, has the
// kernel filesystems and network the init promises, and powers off cleanly.
import test from 'ava';
import { createHash } from 'node:crypto';
import { kernelTreeBuildId, readKernelImage } from '../../controller/kernel-tree/image.js';
import { locateKernelTree } from '../../controller/kernel-tree/locate.js';
import { kernelProfileFromTree } from '../../controller/kernel-tree/profile.js';
import { gnuBuildIdFromNotes, gnuBuildIdOfElfFile } from '../../controller/profile/elf-notes.js';
import { parseKallsymsFunctions } from '../../controller/profile/kallsyms.js';
import { guestExec, Payload, prepareVm, VmHost, type VmKernel } from './vm-host.js';

let kernel: VmKernel;
let vm: VmHost;
let shell: number;
const payload = new Payload();

test.before(async (t) => {
	t.timeout(480_000, 'a first preparation downloads the kernel; TCG boots slowly on a loaded machine');
	kernel = await prepareVm();
	shell = payload.addGuestShell();
	vm = await VmHost.boot({ payload });
});

test.after.always(async () => {
	await vm?.shutdown();
	payload.remove();
});

const sh = async (cmd: string) => (await guestExec(vm.ports[shell]!, ['sh', '-c', cmd])).stdout.toString('utf8');

test('the guest runs the kernel of the installed linux-headers-amd64', async (t) => {
	t.is((await sh('uname -r')).trim(), kernel.release);
	t.not(kernel.release, (await import('node:os')).release(), 'a second kernel, not this machine’s');
});

test('the guest shell reports exit status and stderr', async (t) => {
	const r = await guestExec(vm.ports[shell]!, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
	t.is(r.status, 3);
	t.is(r.stdout.toString(), 'out\n');
	t.is(r.stderr, 'err\n');
	const missing = await guestExec(vm.ports[shell]!, ['/no/such/program']);
	t.is(missing.status, 127);
});

test('proc, sysfs, devtmpfs and tracefs are mounted', async (t) => {
	const mounts = await sh('cat /proc/mounts');
	for (const fs of ['proc /proc', 'sysfs /sys', 'devtmpfs /dev', 'tracefs /sys/kernel/tracing']) t.true(mounts.includes(fs), fs);
	t.regex(await sh('cat /sys/kernel/tracing/available_events | head -1'), /:/);
});

test('the network is 10.0.2.15/24 via 10.0.2.2, on virtio-net; the host is tapfleet-vm', async (t) => {
	t.is((await sh('hostname')).trim(), 'tapfleet-vm');
	t.regex(await sh('ip -4 addr show eth0'), /inet 10\.0\.2\.15\/24/);
	t.regex(await sh('ip route'), /default via 10\.0\.2\.2/);
	t.regex(await sh('cat /proc/modules'), /^virtio_net /m);
});

test('the guest has the kernel config where distributions keep it', async (t) => {
	t.regex(await sh(`grep '^CONFIG_KPROBES=' /boot/config-${kernel.release}`), /CONFIG_KPROBES=y/);
});

test('the build-id read from the kernel image on this machine is the one the booted guest shows', async (t) => {
	const notes = await guestExec(vm.ports[shell]!, ['cat', '/sys/kernel/notes']);
	const running = gnuBuildIdFromNotes(notes.stdout) ?? '';
	t.regex(running, /^[0-9a-f]{40}$/);
	// From Debian's bzImage (xz payload, decompressed here) and from the vmlinux prepare.sh extracted and booted.
	t.is(readKernelImage(kernel.vmlinuz).buildId, running);
	t.is(gnuBuildIdOfElfFile(kernel.vmlinux), running);
	// What pass 4 asks for `-r RELEASE`: found without being told where the image is.
	t.deepEqual(kernelTreeBuildId(locateKernelTree({ release: kernel.release })), { path: kernel.vmlinux, buildId: running });
});

test('the profile made from the tree describes the kernel the guest runs', async (t) => {
	const profile = kernelProfileFromTree(locateKernelTree({ release: kernel.release }), { carryBtf: false });
	t.is(profile.release, (await sh('uname -r')).trim());
	t.is(profile.version, (await sh('uname -v')).trim());
	t.is(profile.arch, (await sh('uname -m')).trim());
	const btf = await guestExec(vm.ports[shell]!, ['cat', '/sys/kernel/btf/vmlinux']);
	t.is(profile.btf.sha256, createHash('sha256').update(btf.stdout).digest('hex'), 'the .BTF of the image is the running BTF');
	t.true(profile.capabilities.modules.available);
	t.true(profile.capabilities.kprobe.available);
	t.true(profile.runtimes.kmod.available);
	// Debian's System.map is a placeholder: the names come from the kallsyms table inside the image.
	const running = parseKallsymsFunctions(await sh('cat /proc/kallsyms'));
	t.true(running.includes('vfs_read'));
	t.deepEqual(profile.symbols.functions, running);
	t.false(profile.unavailable.some((u) => u.source === 'System.map'), JSON.stringify(profile.unavailable));
});

test.after('the VM powers off cleanly when asked', async (t) => {
	await vm.shutdown();
	t.true(vm.poweredOff, vm.console.slice(-2000));
	t.regex(vm.console, /tapfleet-vm: payload exited with status/);
});
