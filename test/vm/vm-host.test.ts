// The test VM itself: it boots Debian's kernel (the one linux-headers-amd64
// belongs to), reaches a payload service over the forwarded port, has the
// kernel filesystems and network the init promises, and powers off cleanly.
import test from 'ava';
import { guestExec, Payload, prepareVm, VmHost, type VmKernel } from './vm-host.js';

let kernel: VmKernel;
let vm: VmHost;
let shell: number;
const payload = new Payload();

test.before(async (t) => {
	t.timeout(240_000, 'first prepare downloads the kernel image, then boots');
	kernel = prepareVm();
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

test('the network is 10.0.2.15/24 via 10.0.2.2, on virtio-net', async (t) => {
	t.regex(await sh('ip -4 addr show eth0'), /inet 10\.0\.2\.15\/24/);
	t.regex(await sh('ip route'), /default via 10\.0\.2\.2/);
	t.regex(await sh('cat /proc/modules'), /^virtio_net /m);
});

test('the guest has the kernel config where distributions keep it', async (t) => {
	t.regex(await sh(`grep '^CONFIG_KPROBES=' /boot/config-${kernel.release}`), /CONFIG_KPROBES=y/);
});

test.after('the VM powers off cleanly when asked', async (t) => {
	await vm.shutdown();
	t.true(vm.poweredOff, vm.console.slice(-2000));
	t.regex(vm.console, /tapfleet-vm: payload exited with status/);
});
