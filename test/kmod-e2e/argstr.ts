// syscall argstr on the kmod runtime, proven in the VM through the agent,
// registered into conformance.test.ts's boot: the same calls and the same
// stap 4.8 lines as the bpf test (test/elaborate/argstr-probe.ts), with the
// user memory read by the kernel's fault-safe copies instead of BPF helpers.
//
// The program is built static here (the guest's libc is not this
// machine's) and goes into the VM's payload, which is why the build runs
// when the tests are registered: the boot packs the payload.
import test from 'ava';
import { guestExec } from '../vm/vm-host.js';
import { ARGSTR_LINES, buildArgstrProbe, maskPageAddress } from '../elaborate/argstr-probe.js';
import type { VmFleet } from './vm-agent.js';

/**
 * Prints from the program's first write (a run that began before the
 * probes were registered is ignored) to its last execve, then stops.
 */
const SCRIPT = `global started
probe syscall.write {
	if (execname() == "argstr-probe") {
		if (fd == 9 && count == 6)
			started[pid()] = 1
		if (pid() in started)
			printf("%s(%s)\\n", name, argstr)
	}
}
probe syscall.openat, syscall.execve {
	if (execname() == "argstr-probe" && pid() in started) {
		printf("%s(%s)\\n", name, argstr)
		if (name == "execve" && isinstr(argstr, "[\\"/bin/true\\""))
			exit()
	}
}`;

export function argstrTests(fleet: VmFleet, release: () => string): void {
	fleet.payload.addFile(buildArgstrProbe(fleet.work, { static: true }), 'argstr-probe', 0o755);

	test.serial('kmod argstr: write quotes its bytes, execve lists argv and envp, unreadable user memory shows its address, as stap 4.8 (and the bpf runtime)', async (t) => {
		t.timeout(900_000);
		const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release(), '-e', SCRIPT]);
		t.is(built.status, 0, built.stderr);
		let done = false;
		const running = fleet.run(['--module', built.stdout.trim()], 300_000).finally(() => (done = true));
		// the first runs may come before the probes are registered
		for (let i = 0; i < 60 && !done; i++) {
			await guestExec(fleet.shellPort, ['/payload/argstr-probe'], 60_000);
			if (!done) await new Promise((resolve) => setTimeout(resolve, 2000));
		}
		const r = await running;
		t.is(r.status, 0, r.stderr);
		t.deepEqual(maskPageAddress(r.stdout.split('\n').filter(Boolean)), [...ARGSTR_LINES]);
	});
}
