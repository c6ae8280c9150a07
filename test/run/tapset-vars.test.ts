// The variables and globals stap's tapsets give scripts, with stap's
// meaning, on the bpf runtime against real activity each test starts:
// argv (a tapset file whose probe the script brings in by using it),
// signal.send/handle, scheduler.ctxswitch, syscall_any.return.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

test('argc, argv_N and argv[] hold the script arguments; argv[] is filled before the script\'s begin probes, and a tapset global is not printed at the end', async (t) => {
	const script = 'probe begin { printf("%d [%s] [%s] [%s] [%s] %d\\n", argc, argv_1, argv_2, argv[2], argv[3], [33] in argv); exit() }';
	const r = await run(tapfleet, ['run', '-e', script, 'one', 'two words']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '2 [one] [two words] [two words] [] 0\n');
	const none = await run(tapfleet, ['run', '-e', 'probe begin { printf("%d [%s]\\n", argc, argv_1); exit() }']);
	t.is(none.stdout, '0 []\n', none.stderr);
});

test('signal.send and signal.handle: sig_name as stap\'s _signal_name (hex when unnamed), the sender\'s view of the target, shared for a process-wide signal', async (t) => {
	// The shell kills its own background sleep with SIGKILL, then signals itself with real-time signal 34 (caught).
	const script = 'probe signal.send { if (pid() == target()) printf("%s %s %s %d\\n", name, sig_name, pid_name, shared) }'
		+ ' probe signal.handle { if (pid() == target()) printf("%s %s\\n", name, sig_name) }';
	const r = await run(tapfleet, ['run', '-c', 'trap "" 34; sleep 30 & kill -9 $!; kill -34 $$; wait', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.trimEnd().split('\n');
	// (the child may not have exec'd sleep yet when it is killed)
	t.true(lines.some((l) => /^signal_generate SIGKILL (sleep|sh) 1$/.test(l)), r.stdout);
	t.true(lines.includes('signal_generate 0x22 sh 1'), r.stdout);
	t.true(lines.includes('handle SIGCHLD'), r.stdout);
});

test('scheduler.ctxswitch: prev_pid is the process (tgid) and prev_tid the thread, as stap; prev_task is the task switched out', async (t) => {
	// A second thread of python sleeps: its switches out have prev_pid != prev_tid.
	const script = 'probe scheduler.ctxswitch { if (prev_pid == target() && prev_tid != prev_pid && !seen++) printf("%d %d %d\\n", prev_pid == target(), task_pid(prev_task) == prev_pid, task_tid(prev_task) == prev_tid) } global seen';
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-ctxswitch-'));
	const file = join(dir, 'thread.py');
	writeFileSync(file, 'import threading, time\nt = threading.Thread(target=time.sleep, args=(0.3,))\nt.start()\nt.join()\n');
	const r = await run(tapfleet, ['run', '-c', `python3 ${file}`, '-e', script]); // no shell: target() is python
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1\n');
});

test('syscall_any.return sets retval, as the syscall.*.return aliases do', async (t) => {
	const r = await run(tapfleet, ['run', '-c', `cat /nonexistent-${process.pid}`, '-e',
		'probe syscall_any.return { if (pid() == target() && name == "openat" && retval < 0) printf("%d %s\\n", retval, retstr) }']);
	t.true(r.stdout.split('\n').includes('-2 -2 (ENOENT)'), r.stdout + r.stderr);
});

test('target_set_pid(): target() and the processes it starts, not others; the tapset\'s own probes come with it; stp_pid() is the loader\'s pid', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-target-set-'));
	const file = join(dir, 'children.sh');
	writeFileSync(file, 'ls / > /dev/null\n(cat /dev/null)\n');
	const script = 'global seen probe syscall.openat { if (target_set_pid(pid()) && pid() != target()) seen[execname()] = 1 }'
		+ ' probe begin { printf("%d %d %d\\n", target_set_pid(target()), target_set_pid(1), stp_pid() > 1 && stp_pid() != target()) }'
		+ ' probe end { foreach (n in seen+) println(n) }';
	const r = await run(tapfleet, ['run', '-c', `sh ${file}`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 0 1\ncat\nls\n');
});

test('stopwatches: start, stop, read while running and stopped, delete', async (t) => {
	const script = 'probe begin { start_stopwatch("a"); start_stopwatch("b") }'
		+ ' probe end { stop_stopwatch("a"); a = read_stopwatch_ms("a"); b = read_stopwatch_us("b");'
		+ ' printf("%d %d %d\\n", a >= 250 && a < 60000, b >= a * 1000, read_stopwatch_ns("a") == read_stopwatch_ns("a"));'
		+ ' delete_stopwatch("a"); printf("%d %d\\n", read_stopwatch_ns("a"), read_stopwatch_s("never")) }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1\n0 0\n');
});

test('scheduler.wakeup: the task woken, from the tracepoint\'s arguments as stap (task, its tgid and tid, cpu and name)', async (t) => {
	const script = 'global seen probe scheduler.wakeup { if (task_pid == target() && task_name == "sleep" && !seen++)' // (before its exec, the command is the gate's)
		+ ' printf("%s %d %d %d %s\\n", name, task_tid == task_pid, task_cpu == task_cpu(task), task_pid(task) == task_pid, task_name) }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.2', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'wakeup 1 1 1 sleep\n');
});

test('a script\'s self-comparison (x == x) compiles on both sides: it is not the C compiler\'s to refuse', async (t) => {
	const script = 'probe begin { x = 3; printf("%d %d\\n", x == x, x != x) } probe syscall.getpid { y = pid(); if (pid() == target()) { printf("%d\\n", y == y); exit() } }';
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; os.getpid()"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 0\n1\n');
});

test('cmdline_str(), cmdline_arg(N) and cmdline_args(N, M, DELIM) of the current process, an empty argument as "" (stap\'s)', async (t) => {
	const exec = 'python3 -c "import os; os.execv(\'/bin/echo\', [\'echo\', \'one\', \'\', \'three\'])"';
	const script = 'global done probe syscall.write { if (execname() == "echo" && ppid() == target() && !done++)'
		+ ' printf("[%s] [%s] [%s] [%s] [%s]\\n", cmdline_str(), cmdline_arg(0), cmdline_arg(1), cmdline_args(1, 2, ","), cmdline_arg(9)) }';
	const r = await run(tapfleet, ['run', '-c', exec, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('[echo one "" three] [echo] [one] [one,""] []'), r.stdout);
});

test('kprocess.exit: code is the exit status as wait() reports it, task the exiting task', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'sh -c "exit 3"', '-e', 'probe kprocess.exit { if (pid() == target()) printf("%d %d\\n", code >> 8, task_pid(task) == pid()) }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '3 1\n');
});

test('task_utime()/task_stime() of the current task, cputime_to_msecs(), msecs/usecs/nsecs_to_string() and task_time_string() as stap\'s', async (t) => {
	const script = 'global done probe syscall.exit_group { if (execname() == "python3" && !done++)'
		+ ' printf("%d %d %d [%s] [%s] [%s] %d\\n", task_utime() > 10000000, task_stime() >= 0, cputime_to_msecs(task_utime()) == task_utime() / 1000000,'
		+ ' msecs_to_string(61234), usecs_to_string(5), nsecs_to_string(1000000007), task_time_string() =~ "^usr: 0m[0-9]\\\\.[0-9]{3}s, sys: 0m[0-9]\\\\.[0-9]{3}s$") }';
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "sum(range(5000000))"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1 [1m1.234s] [0m0.000005s] [0m1.000000007s] 1\n');
});

test('tokenize(input, delim) and tokenize(delim): the next non-empty token of the last input, "" at the end (user side)', async (t) => {
	const script = 'probe begin { t = tokenize("--a-bc--d-", "-"); while (t != "") { printf("[%s]", t); t = tokenize("", "-") }'
		+ ' printf(" [%s] [%s] [%s] [%s]\\n", tokenize("x;y,", ",;"), tokenize(",;"), tokenize(",;"), tokenize("", ",")); exit() }';
	const r = await run(tapfleet, ['run', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '[a][bc][d] [x] [y] [] []\n');
	const kernel = await run(tapfleet, ['compile', '-p3', '-e', 'probe syscall.getpid { println(tokenize(execname(), "-")) }']);
	// located at the call (a builtin's refusal points at the call that asked)
	t.regex(kernel.stderr, /^<input>:1:32: tokenize\(\) is not supported in kernel-side probes/m);
});

test('process.syscall and process.syscall.return (stap\'s every-process syscall probes), and syscall_any: $syscall, $arg1..$arg6 from the raw tracepoint\'s record, $return', async (t) => {
	const file = `/nonexistent-${process.pid}`;
	const script = 'global n probe process.syscall { if (pid() == target() && $syscall == 257 && user_string($arg2, "") == "' + file + '") printf("enter %d %d\\n", $arg3, $arg4 == 0) }'
		+ ' probe process.syscall.return { if (pid() == target() && $syscall == 257 && $return == -2 && !n++) println("return -2") }'
		+ ' probe syscall_any { if (pid() == target() && $syscall == 257 && user_string($arg2, "") == "' + file + '") println("any") }';
	const r = await run(tapfleet, ['run', '-c', `cat ${file}`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// cat opens it read-only (O_RDONLY: 0), mode 0
	t.deepEqual(r.stdout.trimEnd().split('\n').sort(), ['any', 'enter 0 1', 'return -2']);
});
