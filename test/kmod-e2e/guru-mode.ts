// Guru mode on the kmod runtime, in the VM: target-variable writes (what
// the probe writes is what the kernel and the processes in the guest then
// see; each script filters on the children of its `-c` command, a shell,
// so that nothing else in the guest is touched) and embedded C. Registered
// from conformance.test.ts, whose boot it shares.
import test from 'ava';
import type { VmFleet } from './vm-agent.js';

export function guruModeTests(fleet: VmFleet): void {
	test.serial('kmod guru writes: do_group_exit()\'s $exit_code at entry (a parameter register) makes a child exit 7; getppid()\'s $return at sys_exit (a syscall register), set from embedded C, is what a child shell reads into $PPID; reads after a write see it', async (t) => {
		t.timeout(900_000);
		const script = 'probe kernel.function("do_group_exit") { if (ppid() == target() && execname() == "true") { $exit_code = 7 << 8; printf("exit_code %d\\n", $exit_code) } }\n'
			+ 'probe syscall.getppid.return { if (ppid() == target() && execname() == "sh") { r = $return; $return = %{ 4000 + 242 %}; printf("getppid %d -> %d\\n", r == target(), $return) } }';
		// /tmp/true, not `true` (a shell builtin); neither child is the shell's last command, which it might exec in its own process
		const command = 'ln -sf /bin/busybox /tmp/true; /tmp/true; echo status=$?; sh -c \'echo ppid=$PPID\'; echo done';
		const r = await fleet.run(['-g', '-c', command, '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['done', 'exit_code 1792', 'getppid 1 -> 4242', 'ppid=4242', 'status=7'], r.stderr);
	});

	test.serial('kmod guru writes: $stat->size, a member of the struct kstat cp_new_stat() copies to user space, is the size ls then shows; written through a fault-safe store', async (t) => {
		t.timeout(900_000);
		const script = 'probe kernel.function("cp_new_stat") { if (ppid() == target() && execname() == "ls") { $stat->size = 987654; printf("size %d\\n", $stat->size) } }';
		const r = await fleet.run(['-g', '-c', 'echo sized >/tmp/sized; ls -l /tmp/sized; echo done', '-e', script]);
		t.is(r.status, 0, r.stderr);
		const lines = r.stdout.split('\n').filter(Boolean);
		t.true(lines.includes('size 987654'), r.stdout + r.stderr);
		// ls -l: mode, links, owner, group, size, date, name
		t.truthy(lines.find((l) => /^\S+\s+\d+\s+\S+\s+\S+\s+987654\s.*\/tmp\/sized$/.test(l)), r.stdout + r.stderr);
	});

	test.serial('kmod guru writes: $return of a kretprobe (do_sys_openat2().return set to -EACCES) is what the program gets: its open fails, Permission denied', async (t) => {
		t.timeout(900_000);
		const script = 'probe kernel.function("do_sys_openat2").return { if (ppid() == target() && execname() == "cat" && @entry(user_string($filename)) == "/payload/marker-file") $return = -13 }';
		const r = await fleet.run(['-g', '-c', 'ln -sf /bin/busybox /tmp/cat; /tmp/cat /payload/marker-file; echo status=$?', '-e', script]);
		t.is(r.status, 0, r.stderr);
		// the command's standard error is the run's
		t.regex(r.stderr, /cat: can't open '\/payload\/marker-file': Permission denied/, r.stdout + r.stderr);
		t.is(r.stdout, 'status=1\n', r.stderr);
	});

	test.serial('kmod: a write without -g is refused before anything is sent to the host (stap\'s words)', async (t) => {
		t.timeout(900_000);
		const r = await fleet.run(['-e', 'probe kernel.function("do_group_exit") { $exit_code = 0 }']);
		t.is(r.status, 1);
		t.regex(r.stderr, /semantic error: write to target variable not permitted; need stap -g: identifier '\$exit_code' at <input>:1:42/);
	});

	test.serial('kmod guru mode: embedded C functions (STAP_ARG_, STAP_RETVALUE for a long and a string, STAP_ERROR caught by try/catch) run in the module', async (t) => {
		t.timeout(900_000);
		const script = 'function twice:long (x:long) %{ /* pure */ STAP_RETVALUE = STAP_ARG_x * 2; %}\n'
			+ 'function greet:string (who:string) %{ snprintf(STAP_RETVALUE, MAXSTRINGLEN, "hello %s, pages of %lu", STAP_ARG_who, PAGE_SIZE); %}\n'
			+ 'function boom (n:long) %{ if (STAP_ARG_n > 2) STAP_ERROR("boom at %lld", (long long)STAP_ARG_n); %}\n'
			+ 'probe begin { printf("%d %s\\n", twice(21), greet("world")); try { boom(1); boom(3) } catch (e) { println("caught: ", e) } exit() }';
		const r = await fleet.run(['-g', '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, 'hello world, pages of 4096\n'.replace(/^/, '42 ') + 'caught: boom at 3\n', r.stderr);
	});
}
