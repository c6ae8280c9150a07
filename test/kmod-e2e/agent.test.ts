// The kmod runtime end to end: scripts compiled on this machine by passes
// 1-4 for the VM's kernel (its profile fetched from the agent in the guest,
// kbuild against the matching tree: --runtime auto picks kmod), signed,
// sent over gRPC with mTLS to the agent running in the VM, loaded there by
// taprun as kernel modules, their output streamed back.
import test from 'ava';
import { prepareVm } from '../vm/vm-host.js';
import { VmFleet } from './vm-agent.js';

const fleet = new VmFleet();

test.before(async (t) => {
	t.timeout(900_000, 'first prepare downloads the kernel image; the agent bundle; boot under TCG on a busy machine');
	await prepareVm();
	fleet.prepare();
	await fleet.boot();
});

test.after.always(() => fleet.close());

test.serial('hello world through the agent in the VM: kmod chosen for its kernel, output streamed back', async (t) => {
	t.timeout(600_000);
	const r = await fleet.run(['-e', 'probe begin { printf("hello world\\n"); exit() }']);
	t.is(r.stdout, 'hello world\n', r.stderr);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stderr, /kmod for 6\.1\.\S+ \(build-id [0-9a-f]{12}\): modules load there and the kernel tree \S+ matches/);
});
