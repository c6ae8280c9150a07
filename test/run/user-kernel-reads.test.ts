// Kernel memory read by begin, end and timer probes on the bpf runtime
// (stap runs them in the kernel; taprun runs them in user space):
// kernel_string(), kernel_int(), kernel_long() and @cast(...)->member go
// through the module's reader program (runtime-c/bpf/user_kread.c), with
// stap's fault errors, catchable. A module that does not need it does not
// carry it.
import test from 'ava';
import { readFileSync } from 'node:fs';
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
	t.regex(r.stdout, /^taprun\|taprun 1 1\nkernel long copy fault at 0x0 \[man error::fault\]\nunreadable\nread fault \[man error::fault\] at 0x[1-9a-f][0-9a-f]*\n$/);
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

// uconversions.stp's forms that never end the run: the nofault ones give
// "", the warn ones print stap's warning (the message a fault of stap's
// user_string_n() raises) and give their warn_msg, or "" without one
test('user_string_nofault(), user_string_n_nofault(), user_string_warn() and user_string_n_warn(): the string, or "" and stap\'s warning for an address that cannot be read', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname', '-e', `global done
probe syscall.openat {
	if (pid() == target() && !done && user_string_nofault($filename) == "/etc/hostname") {
		done = 1
		printf("[%s] [%s] [%s] [%s]\\n", user_string_nofault(0), user_string_n_nofault(0, 3), user_string_nofault($filename), user_string_n_nofault($filename, 4))
		printf("[%s] [%s] [%s] [%s]\\n", user_string_warn(0), user_string_n_warn(8, 2, "w"), user_string_warn($filename, "x"), user_string2_n_warn($filename, 4, "y"))
	}
}`]);
	t.is(r.status, 0, r.stderr);
	// (cat's own output, the host's name, comes first)
	t.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('[')), ['[] [] [/etc/hostname] [/etc]', '[] [w] [/etc/hostname] [/etc]']);
	t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('WARNING: user string')), [
		'WARNING: user string copy fault -14 at 0x0 [man error::fault]',
		'WARNING: user string copy fault -14 at 0x8 [man error::fault]',
	]);
});

// The rest of uconversions.stp's readers (SystemTap's testsuite compiles
// them all: buildok/uconversions.stp): user_*_error() raise stap's "read
// fault", user_*_warn() warn in their own words and give 0;
// user_string_n_quoted() cuts at inlen characters read and outlen written;
// kernel_pointer() as kernel_long() with its own message
test('user_*_error(), user_*_warn(), user_string_n_quoted(), user_buffer_quoted_error() and kernel_pointer() as stap\'s tapsets define them', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname', '-e', `global done
probe syscall.openat {
	if (pid() == target() && !done && user_string_nofault($filename) == "/etc/hostname") {
		done = 1
		printf("%d %d %d %x %x\\n", user_char_error($filename), user_short_error($filename), user_uint8_error($filename + 1), user_long_error($filename), user_uint32_error($filename))
		printf("%d %d %d %d %d %d\\n", user_char_warn(0), user_short_warn(8), user_ushort_warn(16), user_int_warn(24), user_long_warn(32), user_ulong_warn(40))
		try { println(user_int64_error(0)) } catch (e) { println(e) }
		printf("[%s] [%s] [%s] [%s] [%s]\\n", user_string_n_quoted($filename, 4), user_string_n_quoted($filename, 100, 8), user_string_n_quoted(0, 4), user_string_n_quoted($filename, 4, 2), user_buffer_quoted_error($filename, 4, 10))
		try { println(user_buffer_quoted_error(0, 4, 10)) } catch (e) { println(e) }
		try { println(kernel_pointer(0)) } catch (e) { println(e) }
		printf("%d %s\\n", kernel_pointer(&@cast(task_current(), "task_struct")->real_parent) == task_parent(task_current()), string_quoted("a\\tb\\""))
		println(user_ushort_error(64))
		println("not reached")
	}
}`]);
	t.is(r.status, 1);
	// ("/etc/hos" little-endian; cat's own output, the host's name, is left out)
	const host = readFileSync('/etc/hostname', 'utf8').trimEnd();
	t.deepEqual(r.stdout.split('\n').filter((l) => l !== '' && l !== host), [
		'47 25903 101 736f682f6374652f 6374652f',
		'0 0 0 0 0 0',
		'read fault [man error::fault] at 0x0',
		'["/etc"] ["/et"...] [0x0] ["...] ["/etc"]',
		'Unable to access user space data at 0x0',
		'kernel pointer copy fault at 0x0 [man error::fault]',
		'1 "a\\tb\\""',
	]);
	t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('WARNING: user')), [
		'WARNING: user char copy fault at 0x0 [man error::fault]',
		'WARNING: user short copy fault 0x8 [man error::fault]',
		'WARNING: user unsigned short copy fault 0x10 [man error::fault]',
		'WARNING: user int copy fault 0x18 [man error::fault]',
		'WARNING: user long copy fault 0x20 [man error::fault]',
		'WARNING: user unsigned long copy fault 0x28 [man error::fault]',
	]);
	t.regex(r.stderr, /^ERROR: read fault \[man error::fault\] at 0x40 near identifier 'user_ushort_error' at <input>:12:11$/m);
});
