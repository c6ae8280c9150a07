// Kernel memory read by begin, end and timer probes on the bpf runtime
// (stap runs them in the kernel; taprun runs them in user space):
// kernel_string(), kernel_int(), kernel_long() and @cast(...)->member go
// through the module's reader program (runtime-c/bpf/user_kread.c), with
// stap's fault errors, catchable. A module that does not need it does not
// carry it.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

// taprun's own task (it runs the user side, so it is alive in the end probe), found by a kernel-side probe
const script = `global t, me
probe begin { me = stp_pid() }
probe kernel.trace("sched:sched_switch") { if (!t && me && $next->tgid == me) t = $next }
probe timer.ms(50) { if (t) exit() }
probe end {
	printf("%s|%s %d %d\\n", kernel_string(&@cast(t, "task_struct")->comm), @cast(t, "task_struct")->comm,
		@cast(t, "task_struct")->tgid == stp_pid(), kernel_int(&@cast(t, "task_struct")->tgid) == stp_pid())
	try { println(kernel_long(0)) } catch (msg) { println(msg) }
	println(kernel_string(0, "unreadable"))
	try { println(@cast(0, "task_struct")->pid) } catch (msg) { println(msg) }
	println(kernel_long(8))
}`;

test('end and timer probes read kernel memory: a task\'s comm and tgid by kernel_string(), @cast and kernel_int(); faults are stap\'s errors, caught or ending the run', async (t) => {
	const r = await run(tapfleet, ['run', '-e', script]);
	// (the member's fault is at its address: 0 plus pid's offset in this kernel's task_struct)
	t.regex(r.stdout, /^taprun\|taprun 1 1\nkernel long copy fault at 0x0 \[man error::fault\]\nunreadable\nkernel read fault at 0x[1-9a-f][0-9a-f]* \[man error::fault\]\n$/);
	t.regex(r.stderr, /^ERROR: kernel long copy fault at 0x8 \[man error::fault\] near identifier 'kernel_long' at <input>:11:10$/m);
	t.is(r.status, 1);
});

test('only a module whose user side reads kernel memory carries the reader', async (t) => {
	const needs = await run(tapfleet, ['compile', '-p3', '-e', 'probe begin { println(kernel_long(0)) exit() }']);
	t.is(needs.status, 0, needs.stderr);
	t.true(needs.stdout.includes('#define TAP_USER_KREAD 1'));
	const kernelSide = await run(tapfleet, ['compile', '-p3', '-e', 'probe syscall.getpid { println(kernel_long(0)) exit() }']);
	t.is(kernelSide.status, 0, kernelSide.stderr);
	t.false(kernelSide.stdout.includes('TAP_USER_KREAD'));
});

test('user_string_n() and kernel_string_n(): at most n characters, kernel and user side; a fault gives "" or the error message; the older spellings user_string2(), user_string_n2(), kernel_string2()', async (t) => {
	// the end probe reads taprun's own task (alive then), found as the first script does
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname', '-e', `global t, me, mine
probe begin { me = stp_pid() }
probe kernel.trace("sched:sched_switch") { if (!mine && me && $next->tgid == me) mine = $next }
probe syscall.openat {
	if (pid() == target() && !t) {
		t = task_current()
		printf("[%s] [%s] [%s] [%s]\\n", user_string_n($filename, 4), user_string_n($filename, 0), user_string_n($filename, -3), user_string_n($filename, 100000) == user_string($filename) ? "whole" : "cut")
		printf("[%s] [%s] [%s] [%s]\\n", user_string_n(0, 4), user_string_n(0, 4, "unreadable"), user_string2(0, "u2"), user_string_n2($filename, 2, "x"))
		printf("[%s] [%s] [%s]\\n", kernel_string_n(&@cast(t, "task_struct")->comm, 2), kernel_string_n(0, 3), kernel_string2(0, "k2"))
	}
}
probe end { printf("[%s] [%s]\\n", kernel_string_n(&@cast(mine, "task_struct")->comm, 2), kernel_string_n(0, 3)) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.split('\n').filter((l) => l.startsWith('[')).join('\n'),
		'[/etc] [] [] [whole]\n[] [unreadable] [u2] [/e]\n[ca] [] [k2]\n[ta] []');
});
