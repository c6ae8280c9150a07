// printk() on the kmod runtime, in the VM: the module's own printk, at the
// level the script gives, read back from the guest's kernel log. Registered
// from conformance.test.ts, whose boot (with a guest shell) it shares.
import test from 'ava';
import { guestExec } from '../vm/vm-host.js';
import type { VmFleet } from './vm-agent.js';

export function kernelLogTests(fleet: VmFleet): void {
	test.serial('kmod printk(level, msg): the kernel log at that level, from begin and from a kprobe (the kernel facility: the module\'s own printk)', async (t) => {
		t.timeout(900_000);
		const mark = `tapfleet-printk-${Date.now()}`;
		const script = `probe begin { printk(6, "${mark} begin") } probe kernel.function("do_group_exit") { if (pid() == target()) { printk(3, sprintf("${mark} %s", execname())); } }`;
		const r = await fleet.run(['-c', '/bin/true', '-e', script]);
		t.is(r.status, 0, r.stderr);
		const dmesg = await guestExec(fleet.shellPort, ['dmesg', '-r'], 120_000);
		// -r: the raw records, "<N>[time] text" (N = facility * 8 + level; the kernel's facility is 0)
		const lines = dmesg.stdout.toString().split('\n').filter((l) => l.includes(mark));
		t.is(lines.length, 2, dmesg.stdout.toString().slice(-2000));
		t.regex(lines[0]!, new RegExp(`^<6>\\[[ \\d.]+\\] ${mark} begin$`));
		t.regex(lines[1]!, new RegExp(`^<3>\\[[ \\d.]+\\] ${mark} true$`));
	});
}
