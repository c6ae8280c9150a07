// `tapfleet run` on this host, end to end: passes 1-4, the module loaded by
// the real taprun on this kernel, output compared exactly.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';
import { until } from '../agent/helpers.js';
import { BTF_KIND, BtfTypes } from '../../controller/elaborate/btf-types.js';

test('hello world: prints exactly "hello world" and exits 0', async (t) => {
	const r = await run(tapfleet, ['run', '-e', 'probe begin { println("hello world") exit () }']);
	t.is(r.stdout, 'hello world\n', r.stderr);
	t.is(r.status, 0);
});

test('a line printed without its newline is shown while the run goes on (the agent sends a partial line that waited), and the output stays byte-exact', async (t) => {
	// The rest comes only once the test has seen the partial line alone: it then runs a copy of uname
	// under a name of its own, which the script waits for (again and again: the first may come before
	// the tracepoint is attached, as begin probes run first).
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-partial-'));
	const name = `tfp${process.pid % 100000}`;
	copyFileSync('/bin/uname', join(dir, name));
	chmodSync(join(dir, name), 0o755);
	const script = `probe begin { printf("waiting...") } probe kernel.trace("syscalls:sys_enter_newuname") { if (execname() == "${name}") { println("done"); printf("tail"); exit() } }`;
	const child = spawn(tapfleet, ['run', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	let alone: string | undefined;
	let trigger: NodeJS.Timeout | undefined;
	child.stdout.on('data', (d: Buffer) => {
		out += d.toString('latin1');
		alone ??= out; // the first output, whatever it is
		if (out === 'waiting...' && !trigger) trigger = setInterval(() => execFileSync(join(dir, name)), 300);
	});
	child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
	const giveUp = setTimeout(() => child.kill('SIGINT'), 120_000);
	const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
	clearTimeout(giveUp);
	clearInterval(trigger);
	t.is(status, 0, err);
	t.is(alone, 'waiting...', 'the partial line came alone, before the end of the run');
	t.is(out, 'waiting...done\ntail');
});

test('a script that does not compile: run says what compile says (stap\'s located messages, then the pass that failed), nothing of its embedded agent; exit 1', async (t) => {
	for (const script of ['probe begin { x = }', 'probe begin { printf("%d\\n", "a") }', 'probe nosuch.point { }']) {
		const compiled = await run(tapfleet, ['compile', '-p4', '-e', script]);
		const r = await run(tapfleet, ['run', '-e', script]);
		t.is(r.status, 1, script);
		t.is(r.stdout, '');
		t.regex(r.stderr, /^(parse|semantic) error: /, script);
		t.is(r.stderr, compiled.stderr, script);
	}
});

/**
 * `tapfleet run -T 90 -e SCRIPT` on this host while `activity` runs again and
 * again, until the output shows what `seen` looks for (compiling and
 * attaching take a few seconds), then Ctrl-C: end probes run, status 0.
 */
async function runDuring(script: string, activity: () => void, seen: (out: string) => boolean): Promise<{ status: number | null; out: string; err: string }> {
	const child = spawn(tapfleet, ['run', '-T', '90', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
	const closed = new Promise<number | null>((r) => child.on('close', r));
	let out = '';
	let err = '';
	child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
	child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
	const deadline = Date.now() + 80000; // generous: a loaded CI machine compiles slowly
	while (!seen(out) && child.exitCode === null && Date.now() < deadline) {
		activity();
		await new Promise((r) => setTimeout(r, 200));
	}
	child.kill('SIGINT');
	return { status: await closed, out, err };
}

test('syscall.open with execname() and argstr shows the opens this test makes, in stap\'s open(2) form', async (t) => {
	const line = /^cat: "\/etc\/hostname", O_RDONLY$/m; // cat's openat, shown as open(2): no dfd, flags by name
	const r = await runDuring('probe syscall.open {printf("%s: %s\\n", execname(), argstr)}', () => execFileSync('cat', ['/etc/hostname']), (out) => line.test(out));
	t.is(r.status, 0, r.err);
	t.regex(r.out, line);
});

test('-c CMD runs the command once the probes are attached and stops when it exits; -o FILE', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-run-test-'));
	const outFile = join(dir, 'out');
	// A copy of uname under a name of its own: other tests running at the same time call uname too.
	const name = `tfu${process.pid % 100000}`;
	copyFileSync('/bin/uname', join(dir, name));
	chmodSync(join(dir, name), 0o755);
	const cmd = join(dir, name);
	const script = `global n probe kernel.trace("syscalls:sys_enter_newuname") { if (execname() == "${name}") n++ } probe end { printf("uname calls: %d\\n", n) }`;
	const r = await run(tapfleet, ['run', '-o', outFile, '-c', `${cmd}; ${cmd}; ${cmd}`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(readFileSync(outFile, 'latin1'), 'uname calls: 3\n');
});

test('-c with an empty command: refused before anything compiles, here as with --host', async (t) => {
	for (const c of ['', '   ']) {
		const r = await run(tapfleet, ['run', '-c', c, '-e', 'probe begin { println("never") exit() }']);
		t.is(r.status, 1, r.stderr);
		t.is(r.stdout, '');
		t.is(r.stderr, 'tapfleet run: -c: the command is empty\n');
	}
});

test('-c CMD: target() is the command\'s pid from the begin probes on, as in stap', async (t) => {
	const script = 'probe begin { printf("begin target=%d\\n", target()) } probe end { printf("end target=%d\\n", target()) }';
	const r = await run(tapfleet, ['run', '-c', 'echo "command pid=$$"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// The command writes to our stdout directly, the probes through taprun and
	// tapfleet: the command's line may overtake the begin line, not the end one.
	const lines = r.stdout.split('\n');
	t.is(lines.pop(), '', r.stdout);
	const end = lines.pop();
	const pid = /^command pid=(\d+)$/.exec(lines.find((l) => l.startsWith('command')) ?? '')?.[1];
	t.truthy(pid, r.stdout);
	t.not(pid, '0');
	t.deepEqual(lines.sort(), [`begin target=${pid}`, `command pid=${pid}`], r.stdout);
	t.is(end, `end target=${pid}`);
});

test('-c with a simple command: target() is the program itself (no shell in between), and stopping the session stops it', async (t) => {
	const script = 'probe syscall.clock_nanosleep { if (pid() == target()) { printf("%s slept\\n", execname()); exit() } }';
	const cmd = `sleep 30.${process.pid}`; // a command line no other test runs
	const r = await run(tapfleet, ['run', '-c', cmd, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'sleep slept\n');
	// SIGTERM was sent before tapfleet exited; give the kernel a moment to deliver it
	const running = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').includes(cmd);
	for (let i = 0; i < 50 && running(); i++) await new Promise((res) => setTimeout(res, 100));
	t.false(running(), 'the command outlived its session');
});

test('-c with shell syntax: a session that stops first (-T) stops the shell and the pipeline under it', async (t) => {
	const sleeper = `sleep 31.${process.pid}`; // a command line no other test runs
	const r = await run(tapfleet, ['run', '-T', '1', '-c', `${sleeper} | cat`, '-e', 'probe begin { println("tracing") }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'tracing\n');
	const running = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').includes(sleeper);
	for (let i = 0; i < 50 && running(); i++) await new Promise((res) => setTimeout(res, 100));
	t.false(running(), 'a process of the pipeline outlived its session');
});

test('syscall.X.return: retstr as stap formats it ("-2 (ENOENT)"), kernel-side; errno_str() and errno_p() on both sides', async (t) => {
	const script = 'probe syscall.openat.return { if (pid() == target()) printf("%s %s\\n", name, retstr) }'
		+ ' probe begin { printf("[%s] [%s] [%s] %d %d\\n", errno_str(2), errno_str(-131), errno_str(132), errno_p(-13), errno_p(0)) }';
	const r = await run(tapfleet, ['run', '-c', `cat /nonexistent-${process.pid}`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.trimEnd().split('\n');
	t.is(lines[0], '[ENOENT] [ENOTRECOVERABLE] [] 13 0');
	t.true(lines.includes('openat -2 (ENOENT)'), r.stdout);
	for (const l of lines.slice(1)) t.regex(l, /^openat (\d+|-\d+ \(E[A-Z0-9]+\))$/);
});

test('syscall.X.return sets retval as stap >= 4.0 does (errsnoop.stp tests errno_p(retval)); umask shows its masks in octal, in argstr and retstr', async (t) => {
	// The shell itself calls umask(2): target() is the shell that -c starts for shell syntax.
	const script = 'probe syscall.openat.return { if (pid() == target() && retval < 0) printf("%s %d %d %s\\n", name, retval, errno_p(retval), retstr) }'
		+ ' probe syscall.umask { if (pid() == target()) printf("umask(%s)\\n", argstr) }'
		+ ' probe syscall.umask.return { if (pid() == target()) printf("= %d %s\\n", retval, retstr) }';
	const r = await run(tapfleet, ['run', '-c', `umask 027; umask 077; exec 3</nonexistent-${process.pid}`, '-e', script]);
	const lines = r.stdout.trimEnd().split('\n');
	// dash reads the mask (umask(0)) and puts it back before it sets the new one.
	for (const l of ['umask(027)', 'umask(077)', '= 23 027']) t.true(lines.includes(l), `${l} missing:\n${r.stdout}${r.stderr}`);
	t.is(lines.at(-1), 'openat -2 2 -2 (ENOENT)');
});

test('syscall.X has stap\'s own variable names where the tracepoint\'s differ (wait4\'s pid and status_uaddr: the tracepoint says upid, stat_addr)', async (t) => {
	const script = 'probe syscall.wait4 { if (pid() == target()) printf("%s pid=%d %d %d\\n", name, pid, pid == $upid, status_uaddr == $stat_addr) }';
	const r = await run(tapfleet, ['run', '-c', 'true & wait', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('wait4 pid=-1 1 1'), r.stdout + r.stderr);
});

test('syscall_any: name from syscall_name() (x86_64\'s table) on the kernel side, for the calls of a command run by -c; syscall_name() on the user side', async (t) => {
	const script = 'global seen probe syscall_any { if (pid() == target()) seen[name] = 1 }'
		+ ' probe end { printf("%s %s [%s] [%s] [%s]\\n", "execve" in seen ? "execve" : "-", "exit_group" in seen ? "exit_group" : "-", syscall_name(0), syscall_name(59), syscall_name(-1)) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'execve exit_group [read] [execve] []\n');
});

test('ppid(), pexecname(), euid(), egid(), ktime_get_ns(), randint() on both sides, user_char()/user_long() kernel-side, randint()\'s range checked', async (t) => {
	const common = 'ppid() > 0, pexecname() != "", euid() == $1, egid() == $2, ktime_get_ns() > 0, randint(10) < 10';
	const script = `probe begin { printf("user: %d %d %d %d %d %d\\n", ${common}) }`
		+ ` probe syscall.execve { if (pid() == target()) printf("kernel: %d %d %d %d %d %d %d %d\\n", ${common}, user_char(filename_uaddr), user_long(0)) }`;
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script, String(process.geteuid!()), String(process.getegid!())]);
	t.is(r.status, 0, r.stderr);
	// the command's first byte of its file name ("/bin/true": 47); address 0 cannot be read: 0, as stap
	t.is(r.stdout, 'user: 1 1 1 1 1 1\nkernel: 1 1 1 1 1 1 47 0\n');
	const wide = await run(tapfleet, ['run', '-e', 'probe begin { println(randint(1048577)) }']);
	t.is(wide.status, 1);
	t.regex(wide.stderr, /^ERROR: range too wide near identifier 'randint' at <input>:1:\d+$/m);
	t.is(wide.stdout, '');
});

test('pgrp() and sid(): the traced process\'s as ps(1) sees them, kernel side; taprun\'s on the user side, as its own system calls see them; jiffies() on both sides, advancing by HZ() a second; HZ() is the profile\'s CONFIG_HZ; num_online_cpus() on both sides', async (t) => {
	const config = execFileSync('sh', ['-c', 'zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r)'], { encoding: 'utf8' });
	const hz = /^CONFIG_HZ=(\d+)$/m.exec(config)?.[1];
	t.truthy(hz, 'CONFIG_HZ of this kernel');
	const script = 'global j0, me, up, us, seen'
		+ ' probe begin { j0 = jiffies(); me = stp_pid(); up = pgrp(); us = sid(); printf("user: %d %d %d\\n", up, us, j0 > 0)'
		+ '   system(sprintf("echo taprun-ps $(ps -o pgid=,sid= -p %d)", me)) }'
		+ ' probe kernel.trace("raw_syscalls:sys_enter") { if (me && pid() == me && !seen) { seen = 1; printf("taprun: %d\\n", pgrp() == up && sid() == us) } }'
		+ ' probe syscall.nanosleep, syscall.clock_nanosleep { if (pid() == target()) printf("kernel: %d %d %d\\n", pgrp(), sid(), jiffies() >= j0) }'
		+ ' probe end { printf("HZ %d, %d\\n", HZ(), jiffies() - j0 >= HZ() / 4) }'
		+ ' probe begin, kernel.trace("sched:sched_process_exit") { if (pn() == "begin" || pid() == target()) printf("%s: %d CPUs\\n", pn(), num_online_cpus()) }';
	const r = await run(tapfleet, ['run', '-c', 'ps -o pgid=,sid= -p $$; exec sleep 0.5', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	const [pgid, sid] = lines.find((l) => /^\s*\d+\s+\d+$/.test(l))!.trim().split(/\s+/);
	// taprun's own, as ps(1) sees them (a session whose leader is outside the pid namespace is 0, as in some CI containers)
	const taprun = lines.find((l) => l.startsWith('taprun-ps '))!.split(/\s+/).slice(1);
	t.true(lines.includes(`user: ${taprun[0]} ${taprun[1]} 1`), r.stdout);
	t.true(lines.includes('taprun: 1'), r.stdout);
	t.true(lines.includes(`kernel: ${pgid} ${sid} 1`), r.stdout);
	t.true(lines.includes(`HZ ${hz}, 1`), r.stdout);
	const cpus = execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim();
	t.true(lines.includes(`begin: ${cpus} CPUs`), r.stdout);
	t.true(lines.includes(`kernel.trace("sched:sched_process_exit"): ${cpus} CPUs`), r.stdout);
});

test('local_clock_ns(), cpu_clock_ns() and get_cycles() on both sides: the monotonic clock on bpf (ktime_get_ns()\'s), advancing; cpu_clock_ns() of a CPU that is not online is stap\'s error', async (t) => {
	// one clock: read in turn, the two never disagree on the order (statements run in order)
	const script = 'global g0, seen'
		+ ' function same(side) { a = local_clock_ns(); k = ktime_get_ns(); z = local_clock_ns(); c = cpu_clock_ns(cpu()); g = get_cycles(); k2 = ktime_get_ns()'
		+ '   printf("%s: %d %d %d\\n", side, a <= k && k <= z && z <= c && c <= g && g <= k2, g > g0, c / 1000 <= cpu_clock_us(cpu())) }'
		+ ' probe begin { g0 = get_cycles() }'
		+ ' probe syscall.nanosleep, syscall.clock_nanosleep { if (pid() == target() && !seen++) same("kernel") }'
		+ ' probe end { same("user") }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.1', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'kernel: 1 1 1\nuser: 1 1 1\n');
	for (const [side, probe] of [['user', 'probe begin'], ['kernel', 'probe syscall.execve']]) {
		const offline = await run(tapfleet, ['run', '-c', '/bin/true', '-e', `${probe} { println(cpu_clock_ns(num_online_cpus())) }`]);
		t.is(offline.status, 1, side);
		const cpus = execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim();
		t.regex(offline.stderr, new RegExp(`^ERROR: cpu ${cpus} is not online near identifier 'cpu_clock_ns' at <input>:1:\\d+$`, 'm'), side);
		// caught, the message is the catch variable's on either side
		const caught = await run(tapfleet, ['run', '-c', '/bin/true', '-e', `${probe} { try { println(cpu_clock_ns(num_online_cpus())) } catch (m) { println(m) } exit() }`]);
		t.is(caught.stdout, `cpu ${cpus} is not online\n`, side);
	}
});

test('module_name() on both sides is the module\'s name, the one its manifest carries (tap_ and the start of the script\'s hash, as stap_...)', async (t) => {
	const script = 'probe begin { printf("user: %s\\n", module_name()) } probe syscall.execve { if (pid() == target()) printf("kernel: %s\\n", module_name()) }';
	const dir = execFileSync(process.execPath, [tapfleet, 'compile', '-p4', '-e', script], { encoding: 'utf8' }).trim();
	const { name } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
	t.regex(name, /^tap_[0-9a-f]{16}$/);
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `user: ${name}\nkernel: ${name}\n`);
});

test('tz_gmtoff(), tz_name() and tz_ctime(): taprun\'s time zone (TZ) when it started, on both sides, as staprun passes it', async (t) => {
	const script = 'probe begin { printf("user: %d %s %s\\n", tz_gmtoff(), tz_name(), tz_ctime(0)) }'
		+ ' probe syscall.execve { if (pid() == target()) printf("kernel: %d %s %s\\n", tz_gmtoff(), tz_name(), tz_ctime(86400)) }';
	for (const [tz, west, name, at0, atDay] of [
		['IST-5:30', -19800, 'IST', 'Thu Jan  1 05:30:00 1970', 'Fri Jan  2 05:30:00 1970'],
		['UTC0', 0, 'UTC', 'Thu Jan  1 00:00:00 1970', 'Fri Jan  2 00:00:00 1970'],
		['EST5', 18000, 'EST', 'Wed Dec 31 19:00:00 1969', 'Thu Jan  1 19:00:00 1970'],
	] as const) {
		const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script], { env: { ...process.env, TZ: tz } });
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, `user: ${west} ${name} ${at0} ${name}\nkernel: ${west} ${name} ${atDay} ${name}\n`, tz);
	}
});

test('ctime() as stap\'s (UTC, 24 characters, 32 bits of seconds) on both sides; its errors outside that range', async (t) => {
	const script = 'probe begin { printf("user: %s|%s|%s\\n", ctime(0), ctime(2147483647), ctime(-2147483648)) }'
		+ ' probe syscall.execve { if (pid() == target()) printf("kernel: %s|%s|%d\\n", ctime(951782400), ctime(-1), strlen(ctime())) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'user: Thu Jan  1 00:00:00 1970|Tue Jan 19 03:14:07 2038|Fri Dec 13 20:45:52 1901\n'
		+ 'kernel: Tue Feb 29 00:00:00 2000|Wed Dec 31 23:59:59 1969|24\n');
	for (const [secs, when] of [['2147483648', 'future'], ['-2147483649', 'past']]) {
		const bad = await run(tapfleet, ['run', '-e', `probe begin { println(ctime(${secs})) }`]);
		t.is(bad.status, 1);
		t.regex(bad.stderr, new RegExp(`^ERROR: Time too far in the ${when} to be converted near identifier 'ctime' at <input>:1:\\d+$`, 'm'));
	}
});

test('kernel-side array keys of several strings (over 1 KiB): compiled, and the same key found again (every byte of it written)', async (t) => {
	const script = 'global a probe syscall.execve { if (pid() == target()) { a[execname(), "x", 1, "y"] = 5; a[execname(), "x", 1, "y"] += 1 } }'
		+ ' probe end { foreach ([e, s, n, u] in a) printf("%s %s %d %s %d\\n", e, s, n, u, a[e, s, n, u]) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^\S+ x 1 y 6\n$/);
});

test('user_mode(): 1 for timer.profile samples of a busy user-space loop, 0 in a tracepoint and in a user-side probe', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-busy-'));
	const busy = join(dir, 'busy.sh');
	writeFileSync(busy, '#!/bin/sh\ni=0\nwhile [ $i -lt 400000 ]; do i=$((i+1)); done\n');
	chmodSync(busy, 0o755);
	const script = 'global b, tp, u probe begin { b = user_mode() } probe syscall.execve { if (pid() == target()) tp = user_mode() + 10 }'
		+ ' probe timer.profile { if (pid() == target() && user_mode()) u++ } probe end { printf("%d %d %s\\n", b, tp, u > 0 ? "user" : "none") }';
	const r = await run(tapfleet, ['run', '-c', busy, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '0 10 user\n');
});

/**
 * The same string calls on both sides: kernel-side at the -c command's
 * execve (whose execname() is the shell that runs it, "sh"), user-side in
 * begin with execname() spelled "sh"; each prints `format` once.
 */
async function onBothSides(t: ExecutionContext, format: string, calls: string, expected: string): Promise<void> {
	const script = `probe syscall.execve { if (pid() == target()) printf("${format}\\n", ${calls}) }`
		+ ` probe begin { printf("${format}\\n", ${calls.replaceAll('execname()', '"sh"')}) }`;
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `${expected}\n${expected}\n`);
}

test('tolower() and toupper(): ASCII letters only, on both sides', (t) =>
	onBothSides(t, '%s|%s|%s|[%s]', 'toupper(execname()), tolower("ABC-xyZ"), toupper("Hello, World_42"), toupper("")', 'SH|abc-xyz|HELLO, WORLD_42|[]'));

test('sprint(), sprintln(), sprintd() and sprintdln() on both sides (the kernel side formats them with bpf_snprintf)', (t) =>
	onBothSides(t, '%s|%s|%s|%s|%s', 'sprint(-42), sprint(execname()), sprintln(7), sprintd(",", 1, "b%", -3, execname()), sprintdln("-", 5, 6)', '-42|sh|7\n|1,b%,-3,sh|5-6\n'));

test('task_*() of task_current() kernel-side agree with the context functions; an address that cannot be read gives 0 or ""; the user side refuses them', async (t) => {
	const script = 'probe syscall.execve { if (pid() == target()) { t = task_current()'
		+ ' printf("%d %d %d %d %d %d %d %d %d %d %d\\n", task_pid(t) == pid(), task_tid(t) == tid(), task_ppid(t) == ppid(), task_execname(t) == execname(), task_uid(t) == uid(),'
		+ ' task_gid(t) == gid(), task_parent(t) != 0, task_state(t), task_prio(t), task_nice(t), task_cpu(t) == cpu())'
		+ ' printf("%d %d [%s] %d\\n", task_pid(12345), task_ppid(8), task_execname(4096), task_uid(-1)) } }';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// running (state 0), priority 20 and nice 0: a normal task's
	t.is(r.stdout, '1 1 1 1 1 1 1 0 20 0 1\n0 0 [] 0\n');
	const user = await run(tapfleet, ['compile', '-p3', '-e', 'probe begin { println(task_pid(task_current())) }']);
	t.is(user.status, 1);
	t.regex(user.stderr, /task_current\(\) is not supported/);
});

/** task_struct.pid's byte offset on this kernel, from its BTF (what @cast would give stap). */
function taskPidOffset(): number {
	const btf = new BtfTypes(readFileSync('/sys/kernel/btf/vmlinux'));
	const id = btf.named('task_struct').find((i) => btf.types[i]!.kind === BTF_KIND.STRUCT)!;
	return btf.types[id]!.members.find((m) => m.name === 'pid')!.bitOffset / 8;
}

test('kernel_long/int/short/char(): a task_struct\'s bytes read kernel-side; an unreadable address is stap\'s error, with its location, and can be caught', async (t) => {
	const script = 'probe syscall.execve { if (pid() == target()) { t = task_current()'
		+ ' printf("%d %d\\n", kernel_int(t + @offsetof_pid) == tid(), (kernel_char(t + @offsetof_pid) & 0xff) == (tid() & 0xff))'
		+ ' try { printf("%d\\n", kernel_short(8)) } catch { println("caught") }'
		+ ' printf("%d\\n", kernel_long(4096)) } }';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script.replaceAll('@offsetof_pid', String(taskPidOffset()))]);
	t.is(r.stdout, '1 1\ncaught\n', r.stderr);
	t.regex(r.stderr, /^ERROR: kernel long copy fault at 0x1000 \[man error::fault\] near identifier 'kernel_long' at <input>:1:\d+$/m);
	t.is(r.status, 1);
});

test('substr(), strpos() and isinstr() on the kernel side (literals and the context\'s strings), as on the user side', (t) =>
	onBothSides(t, '[%s] [%s] [%s] %d %d %d %d',
		'substr(execname(), 0, 1), substr("hello", 1, 3), substr("abc", 5, 1), strpos(execname(), "h"), strpos("abcabc", "ca"), isinstr(execname(), "sh"), isinstr("abc", "x")',
		'[s] [ell] [] 1 2 1 0'));

test('the ansi tapset: the escape sequences stap\'s ansi_* functions print', async (t) => {
	const script = 'probe begin { ansi_clear_screen() ansi_set_color(31) ansi_set_color(32, 40) ansi_set_color(33, 41, 1) ansi_set_color2(35, 43)'
		+ ' ansi_set_color3(34, 42, 0) ansi_reset_color() ansi_cursor_move(3, 4) ansi_cursor_save() ansi_cursor_restore() ansi_cursor_hide() ansi_cursor_show() ansi_new_line() exit() }';
	const r = await run(tapfleet, ['run', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '\x1b[1;1H\x1b[J\x1b[31m\x1b[40;32m\x1b[41;33;1m\x1b[43;35m\x1b[42;34m\x1b[0;0m\x1b[4;3H\x1b[s\x1b[u\x1b[>5I\x1b[>5h\n');
});

test('a return alias whose retstr is not read costs nothing for it: the assignment and its functions are elided', async (t) => {
	const r = await run(tapfleet, ['compile', '-p2', '-e', 'global n probe syscall.read.return { if ($return > 0) n++ }']);
	t.is(r.status, 0, r.stderr);
	t.notRegex(r.stdout, /retstr|return_str|errno_str/);
});

test('a script error is reported with its location, exit status 1', async (t) => {
	const r = await run(tapfleet, ['run', '-e', 'probe begin { x = 0; println(1 / x) }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /ERROR: division by 0 near operator '\/' at <input>:1:/);
});

test('kernel.trace("sched:sched_switch") with target variables sees the switches of a command run by -c', async (t) => {
	const script = 'global n probe kernel.trace("sched:sched_switch") { if ($prev_comm == "sleep") n++ } probe end { printf("switched away from sleep: %s\\n", n > 0 ? "yes" : "no") }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.2', '-e', script]);
	t.is(r.stdout, 'switched away from sleep: yes\n', r.stderr);
	t.is(r.status, 0);
});

test('timer.profile fires while the test keeps a CPU busy; print_backtrace() in a tracepoint', async (t) => {
	const profile = await run(tapfleet, ['run', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done', '-e', 'global k probe timer.profile { k++ } probe end { printf("ticks: %s\\n", k > 0 ? "some" : "none") }']);
	t.is(profile.stdout, 'ticks: some\n', profile.stderr);
	const script = 'probe kernel.trace("syscalls:sys_enter_openat") { if (execname() == "cat") { println("openat by cat:"); print_backtrace() } }';
	const bt = await run(tapfleet, ['run', '-c', 'cat /etc/hostname > /dev/null', '-e', script]);
	t.is(bt.status, 0, bt.stderr);
	t.regex(bt.stdout, /^openat by cat:\n 0x[0-9a-f]+ : [\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\n/m);
});

test('backtrace() as an array key, named in the end probe by print_stack() and sprint_stack() as print_backtrace() names the frames', async (t) => {
	const script = 'global bt, printed probe kernel.trace("syscalls:sys_enter_openat") { if (pid() == target()) { bt[backtrace()]++; if (!printed++) print_backtrace() } }'
		+ ' probe end { foreach (b in bt- limit 1) { println(b =~ "^0xffffffff[0-9a-f]+( 0x[0-9a-f]+)*$" ? "hex" : b); print_stack(b); print(sprint_stack(b)) } }';
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname > /dev/null', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// the first openat's stack, printed where it was taken, is the most frequent one: every openat comes the same way
	t.regex(r.stdout, /^((?: 0x[0-9a-f]+ : [\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\n)+)hex\n\1\1$/);
	// sprint_stack() keeps whole lines within MAXSTRINGLEN, as stap's sprint_syms()
	const short = await run(tapfleet, ['run', '-D', 'MAXSTRINGLEN=128', '-c', 'cat /etc/hostname > /dev/null', '-e',
		'global s probe kernel.trace("syscalls:sys_enter_openat") { if (pid() == target() && s == "") s = backtrace() } probe end { x = sprint_stack(s); printf("%d|%s", strlen(x) < 128, x) }']);
	t.is(short.status, 0, short.stderr);
	t.regex(short.stdout, /^1\|(?: 0x[0-9a-f]+ : [\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\n)+$/);
});

test('sprint_backtrace() in stap\'s simple form, callers(n) and stack(n) of the same stack as backtrace(); a shallower stack is stap\'s error, caught or reported', async (t) => {
	const script = 'global done probe kernel.trace("syscalls:sys_enter_openat") { if (pid() != target() || done++) next;'
		+ ' b = backtrace(); print(sprint_backtrace()); println("--"); println(b); println(callers(1)); printf("0x%x\\n", stack(1)); println(callers(-1) == b);'
		+ ' try { println(stack(25)) } catch (m) { println(m) } try { println(callers(19)) } catch (m) { println(m) } println(stack(-1)) }';
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname > /dev/null', '-e', script]);
	// each frame a line: name+offset [kernel], no size; the same frames as backtrace()'s addresses
	const [named, rest] = r.stdout.split('--\n');
	t.regex(named!, /^(?:[\w.]+\+0x[0-9a-f]+ \[kernel\]\n)+$/, r.stdout);
	const lines = rest!.split('\n');
	const hex = lines[0]!.split(' ');
	t.is(named!.split('\n').length - 1, hex.length);
	t.is(lines[1], `${hex[0]} ${hex[1]}`);
	t.is(lines[2], hex[1]);
	t.deepEqual(lines.slice(3, 6), ['1', 'reached end of stack before unwinding to level 25', 'reached end of stack before unwinding to level 19']);
	// the first frame is the tracepoint's own handler, the syscall's entry further down
	t.regex(named!, /^perf_syscall_enter\+/);
	t.regex(named!, /\ndo_syscall_64\+/);
	// uncaught: the probe's error, located, and the run's error count
	t.regex(r.stderr, /^ERROR: reached end of stack before unwinding to level -1 near identifier 'stack' at <input>:1:\d+\n/m);
	t.regex(r.stderr, /WARNING: Number of errors: 1, skipped probes: 0/);
	// MAXSTRINGLEN keeps whole lines only
	const short = await run(tapfleet, ['run', '-D', 'MAXSTRINGLEN=64', '-c', 'cat /etc/hostname > /dev/null', '-e',
		'global done probe kernel.trace("syscalls:sys_enter_openat") { if (pid() != target() || done++) next; s = sprint_backtrace(); printf("%d|%s", strlen(s) < 64, s) }']);
	t.is(short.status, 0, short.stderr);
	t.regex(short.stdout, /^1\|(?:[\w.]+\+0x[0-9a-f]+ \[kernel\]\n)+$/);
	// a user-side probe has no stack of its own to give: refused at pass 3 by name
	const user = await run(tapfleet, ['compile', '-p3', '-e', 'probe begin { println(callers(1)) }']);
	t.is(user.status, 1);
	t.regex(user.stderr, /callers\(\) outside a kernel-side probe handler body is not supported in user-side probes by the bpf runtime yet/);
});

test('probemod(): the module of a kernel sample\'s instruction ("kernel" here: this kernel has no modules); a probe without kernel registers (a tracepoint, begin) is stap\'s error', async (t) => {
	const script = 'global seen probe timer.profile { if (!user_mode() && !seen++) println(probemod()) }'
		+ ' probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) try { println(probemod()) } catch (m) { println("tracepoint: ", m) } }'
		+ ' probe begin { try { println(probemod()) } catch (m) { println("begin: ", m) } }';
	const r = await run(tapfleet, ['run', '-c', 'sh -c "i=0; while [ \\$i -lt 100000 ]; do i=\\$((i+1)); done; exec python3 -c \'import os; os.getppid()\'"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['begin: Cannot determine kernel module name', 'kernel', 'tracepoint: Cannot determine kernel module name']);
});

test('symdata(), modname(), print_syms() and sprint_syms() of a kernel address, the same on both sides; modname() where no symbol is: stap\'s error', async (t) => {
	// The first sample in a kernel function, per CPU (a sample may be in code without a symbol, BPF's or a
	// trampoline's; and the CPUs sample at once, so each keeps its own): the kernel side's symdata and modname
	// against the user side's for the same address.
	const script = 'global a, k probe timer.profile { x = addr(); if (!([cpu()] in a) && !user_mode()) { s = symdata(x); if (isinstr(s, " [kernel]")) { a[cpu()] = x; k[cpu()] = s . "|" . modname(x) } } }'
		+ ' probe timer.ms(100) { foreach (c in a limit 1) exit() }'
		+ ' probe end { foreach (c in a limit 1) { printf("%s\\n%s|%s\\n", k[c], symdata(a[c]), modname(a[c])); print_syms(sprintf("0x%x", a[c])); print(sprint_syms(sprintf("0x%x", a[c]))) }'
		+ ' try { println(modname(1)) } catch (m) { println(m) } }';
	const r = await run(tapfleet, ['run', '-c', 'sh -c "i=0; while [ \\$i -lt 100000 ]; do i=\\$((i+1)); done"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// this kernel has no modules: every address with a symbol is the kernel's
	t.regex(r.stdout, /^([\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\])\|kernel\n\1\|kernel\n( 0x[0-9a-f]{16} : \1\n)\2No module found for address\n$/);
});

/** The processes under `pid` (children, their children...), from /proc. */
function descendants(pid: number): number[] {
	const parents = new Map<number, number[]>();
	for (const entry of execFileSync('ls', ['/proc']).toString().split('\n')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
		} catch {
			// gone meanwhile
		}
	}
	const found: number[] = [];
	for (let todo = [pid]; todo.length > 0; ) {
		const next = parents.get(todo.pop()!) ?? [];
		found.push(...next);
		todo.push(...next);
	}
	return found;
}

test('symdata() and modname() of an address in BPF code: [bpf] and "bpf" on both sides, as /proc/kallsyms lists it; a kernel function named bpf_prog_* stays the kernel\'s', async (t) => {
	// A session of our own keeps a kernel-side program loaded; its tag (from taprun's fds) names its symbol.
	// The tag is a hash of the code: the constant makes ours unlike any other session's (every module
	// also has programs of the runtime's own, the same in all of them: only a probe's is taken).
	const keeper = spawn(tapfleet, ['run', '-T', '120', '-e', `global n probe kernel.trace("sched:sched_process_exec") { n += ${process.pid} }`], { stdio: ['ignore', 'ignore', 'pipe'] });
	const closed = new Promise((resolve) => keeper.on('close', resolve));
	try {
		let symbol: { addr: bigint; name: string } | undefined;
		for (let i = 0; i < 600 && !symbol && keeper.exitCode === null; i++) {
			await new Promise((resolve) => setTimeout(resolve, 100));
			const tags = new Set<string>();
			for (const pid of descendants(keeper.pid!)) {
				try {
					for (const fd of execFileSync('ls', [`/proc/${pid}/fdinfo`]).toString().split('\n').filter(Boolean)) {
						const tag = /^prog_tag:\s*([0-9a-f]{16})$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'));
						if (tag) tags.add(tag[1]!);
					}
				} catch {
					// gone meanwhile
				}
			}
			for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
				const m = /^([0-9a-f]+) t (bpf_prog_([0-9a-f]{16})_probe_\d+)\s+\[bpf\]$/.exec(line);
				if (m && tags.has(m[3]!)) symbol = { addr: BigInt(`0x${m[1]}`), name: m[2]! };
			}
		}
		if (!symbol) return void t.fail('the session\'s program never showed in /proc/kallsyms');
		const kernelFn = /^([0-9a-f]+) [Tt] (bpf_prog_load)$/m.exec(readFileSync('/proc/kallsyms', 'latin1'));
		t.truthy(kernelFn, 'bpf_prog_load is in /proc/kallsyms');
		const inBpf = `0x${(symbol.addr + 4n).toString(16)}`;
		const inKernel = `0x${kernelFn![1]}`;
		const script = 'probe kernel.trace("raw_syscalls:sys_enter") { if (pid() == target()) { printf("%s|%s\\n%s|%s\\n", symdata($1), modname($1), symdata($2), modname($2)); exit() } }'
			+ ' probe end { printf("--\\n%s|%s\\n%s|%s\\n", symdata($1), modname($1), symdata($2), modname($2)) }';
		const r = await run(tapfleet, ['run', '-c', 'true', '-e', script, inBpf, inKernel]);
		t.is(r.status, 0, r.stderr);
		// the sizes may differ: the kernel knows a program's length, the user side has the next symbol's address
		const side = `${symbol.name}\\+0x4/0x[0-9a-f]+ \\[bpf\\]\\|bpf\\nbpf_prog_load\\+0x0/0x[0-9a-f]+ \\[kernel\\]\\|kernel\\n`;
		t.regex(r.stdout, new RegExp(`^${side}--\\n${side}$`));
	} finally {
		keeper.kill('SIGINT');
		await closed;
	}
});

test('catch (msg) in a kernel-side probe: each error\'s message, the same as in a user-side probe', async (t) => {
	const body = 'try { println(1 / z) } catch (msg) { println(msg) } try { error("boom") } catch (m) { println(m) }'
		+ ' try { println(@cast(8, "task_struct")->pid) } catch (m2) { println(m2) } try { println(kernel_long(0)) } catch (m3) { println(m3) }'
		+ ' try { a[z + 7] = 1; a[z + 8] = 2 } catch (m4) { println(m4) }';
	const script = `global z = 0, a[1] function body() { ${body} }`
		+ ' probe syscall.execve { if (pid() != target()) next; body(); exit() } probe end { delete a; println("--"); body(); delete a }';
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const [kernel, user] = r.stdout.split('--\n');
	t.regex(kernel!, /^division by 0\nboom\nread fault \[man error::fault\] at 0x[0-9a-f]+\nkernel long copy fault at 0x0 \[man error::fault\]\nArray overflow, check size limit \(1\)\n$/);
	t.is(user, kernel);
});

test('uprobe: process("/bin/bash").function("readline") and .return see the lines a real interactive bash reads', async (t) => {
	// Debian's bash carries readline itself (`nm -D /bin/bash` has `T readline`; no libreadline), so the
	// probe resolves in /bin/bash. `bash -i` calls readline even with its input from a pipe.
	const marker = `tapfleet-readline-${process.pid}`;
	const script = 'global calls\n'
		+ 'probe process("/bin/bash").function("readline") { calls++ }\n'
		+ 'probe process("/bin/bash").function("readline").return { if ($return) printf("read: %s\\n", user_string($return)) }\n'
		+ 'probe end { printf("readline entered: %s\\n", calls >= 2 ? "at least twice" : "less") }';
	const cmd = `printf 'echo ${marker}\\nexit\\n' | /bin/bash --norc --noprofile -i >/dev/null 2>&1`;
	const r = await run(tapfleet, ['run', '-c', cmd, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// other bash processes on the machine may read lines too: ours must be there, in order
	t.regex(r.stdout, new RegExp(`^read: echo ${marker}\\n(?:.*\\n)*?read: exit\\n`, 'm'), r.stdout + r.stderr);
	t.regex(r.stdout, /^readline entered: at least twice\n$/m);
});

test('uprobe on bash\'s readline through the embedded agent (no -c): the test\'s own bash -i sessions are seen', async (t) => {
	const marker = `tapfleet-agent-readline-${process.pid}`;
	const script = 'probe process("/bin/bash").function("readline").return { if ($return) printf("read: %s\\n", user_string($return)) }';
	// an interactive bash reads a line until the probe has shown it
	const bash = () => execFileSync('/bin/bash', ['--norc', '--noprofile', '-i'], { input: `echo ${marker}\nexit\n`, stdio: ['pipe', 'ignore', 'ignore'], timeout: 20000 });
	const r = await runDuring(script, bash, (out) => out.includes(`read: echo ${marker}\n`));
	t.is(r.status, 0, r.err);
	t.true(r.out.includes(`read: echo ${marker}\n`), r.out + r.err);
});

test('thread_indent(), indent() and thread_indent_depth() as stap\'s indent tapset: microseconds since the outermost call, execname(tid), one space per level past the first', async (t) => {
	const script = 'probe syscall.getppid { if (pid() == target()) printf("%s-> getppid %d\\n", thread_indent(1), thread_indent_depth(0)) }\n'
		+ 'probe syscall.getppid.return { if (pid() == target()) { printf("%s<- getppid\\n", thread_indent(-1)); exit() } }\n'
		+ 'probe begin { printf("[%s]\\n", indent(3)) printf("[%s]\\n", indent(-3)) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sh -c :', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^\[ {5}0 : {2}\]\n\[ *\d+ : {2}\]\n {5}0 sh\((\d+)\):-> getppid 0\n *\d+ sh\(\1\):<- getppid\n$/, r.stdout);
});

test('@entry(): a value from the call\'s entry at its return, on a syscall (the entry tracepoint) and on a uprobe (the function\'s entry); refused outside return probes', async (t) => {
	const syscall = 'probe syscall.read.return { if (pid() == target() && @entry($count) == 3) printf("read(%d, %d) = %d, %s\\n", @entry($fd), @entry($count), $return, gettimeofday_ns() >= @entry(gettimeofday_ns()) ? "later" : "earlier") }';
	let r = await run(tapfleet, ['run', '-c', 'dd if=/etc/hostname of=/dev/null bs=3 count=1 status=none', '-e', syscall]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'read(0, 3) = 3, later\n');
	const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
	r = await run(tapfleet, ['run', '-c', 'uname', '-e', `probe process("${libc}").function("uname").return { if (pid() == target()) printf("uname(%s) = %d\\n", user_string(@entry($arg1)), $return) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'Linux\nuname(Linux) = 0\n');
	for (const script of ['probe syscall.read { println(@entry($fd)) }', 'function f() { return @entry(1) } probe syscall.read.return { println(f()) }']) {
		r = await run(tapfleet, ['compile', '-p2', '-e', script]);
		t.is(r.status, 1);
		t.regex(r.stderr, /semantic error: @entry is only valid in \.return probes: operator '@entry' at <input>:1:\d+/);
	}
});

test('addr(), uaddr() and symname(): timer.profile samples named on the kernel side ("%ps") and the user side (/proc/kallsyms) alike; a uprobe\'s addr() is its task\'s uaddr(); an unknown address in hex', async (t) => {
	const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
	// the first uname process's (other tests may run uname at the same time: the uprobe sees them all);
	// samples are counted once it has fired (on a loaded machine 40 samples came before the command's uname ran)
	const script = `global names, seen, n, unamed
probe timer.profile { if (!user_mode() && unamed) { pc = addr(); names[pc] = symname(pc); if (++n >= 40) exit() } }
probe process("${libc}").function("uname") { if (execname() == "uname" && !unamed++) printf("uprobe: %d\\n", addr() == uaddr() && addr() != 0) }
probe begin { printf("begin: %d %d\\n", addr(), uaddr()) }
probe end {
	foreach (pc in names) {
		if (symname(pc) != names[pc]) printf("differ at %x: %s vs %s\\n", pc, symname(pc), names[pc])
		if (substr(names[pc], 0, 2) != "0x") seen++
	}
	printf("named: %s; unknown: %s %s\\n", seen > 0 ? "yes" : "no", symname(0), symname(-256))
}`;
	const r = await run(tapfleet, ['run', '-c', 'sh -c \'uname >/dev/null; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\'', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'begin: 0 0\nuprobe: 1\nnamed: yes; unknown: 0x0 0xffffffffffffff00\n');
});

test('-x PID: target() is a process already running, in begin probes and in its syscalls; bad, missing and conflicting targets are refused before anything loads', async (t) => {
	const loop = spawn('/bin/sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore' });
	try {
		const script = 'probe begin { printf("target is %d\\n", target()) } probe syscall.wait4 { if (pid() == target()) { println("the target waits"); exit() } }';
		const r = await run(tapfleet, ['run', '-x', String(loop.pid), '-T', '30', '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, `target is ${loop.pid}\nthe target waits\n`);
	} finally {
		loop.kill('SIGKILL');
	}
	const refused = async (args: string[], message: string) => {
		const r = await run(tapfleet, ['run', ...args, '-e', 'probe begin { exit() }']);
		t.is(r.status, 1);
		t.is(r.stderr, `tapfleet run: ${message}\n`);
	};
	await refused(['-x', '0'], '-x "0": expected a process id');
	await refused(['-x', '4194305'], '-x "4194305": expected a process id');
	await refused(['-x', '4194304'], '-x 4194304: no such process');
	await refused(['-x', '1', '-c', 'true'], '-c and -x both name the target process: give one of them');
	await refused(['-o', '/nonexistent-dir/out', '--host', 'unix:/nonexistent'], '-o /nonexistent-dir/out: cannot open it for writing (ENOENT: no such file or directory)');
	await refused(['-x', '1', '--module', '/nonexistent'], '-x runs a script given as text or a file, compiled here: leave out --module');
	// -x with --host: the agent's host has the process (test/agent/target-pid.test.ts)
});

test('=~ and !~ on both sides: anchors, alternation, groups, bounds, bracket classes, an escaped dot (the automaton of controller/regex, the same tables in BPF and in the user part)', (t) =>
	onBothSides(t, '%d%d%d%d%d%d%d%d',
		'execname() =~ "^(ba|da)?sh$", execname() =~ "^bash", "hello.world" =~ "o\\\\.w", "helloxworld" =~ "o\\\\.w", "v5.10-rc1" =~ "^v[[:digit:]]+\\\\.[0-9]{1,2}(-rc[0-9]+)?$", "" =~ "^$", "abc" !~ "b", execname() !~ "x|y|z"',
		'10101101'));

test('str_replace() on both sides: every occurrence, an empty search, a search longer than the string, a result cut at MAXSTRINGLEN-1 bytes', (t) =>
	onBothSides(t, '[%s] [%s] [%s] [%s] [%s] %d',
		`str_replace(execname(), "s", "zz"), str_replace("aaa", "a", "bc"), str_replace("hello", "", "x"), str_replace("abcabc", "bc", ""), str_replace("xyz", "xyzw", "q"), strlen(str_replace("${'a'.repeat(300)}", "a", "bb"))`,
		'[zzh] [bcbcbc] [hello] [aa] [xyz] 511'));

test('syscall.* (some 360 calls, dispatched from two raw tracepoints) through the embedded agent: a -T stop, then the end probe\'s output arrives whole', async (t) => {
	t.timeout(180_000);
	const r = await run(tapfleet, ['run', '-T', '1', '-e', 'global calls probe syscall.* { calls++ } probe end { printf("end ran, calls seen: %s\\n", calls > 0 ? "yes" : "no") }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'end ran, calls seen: yes\n');
});

test('syscalls by stap\'s names where the tracepoint has the kernel\'s: syscall.uname (sys_enter_newuname), its name and argstr', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'uname', '-e', 'probe syscall.uname { if (pid() == target()) printf("%s %d\\n", name, argstr =~ "^0x[0-9a-f]+$") } probe syscall.uname.return { if (pid() == target()) printf("%s returned %s\\n", name, retstr) }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.split('\n').filter((l) => l.startsWith('uname ')).join('\n'), 'uname 1\nuname returned 0');
});

test('many syscall probes are dispatched from raw_syscalls\' two raw tracepoints: the same arguments, argstr and retstr as from each call\'s own tracepoint, and two probes of one call both run (chained through the next program array)', async (t) => {
	const mine = 'probe syscall.openat { if (pid() == target()) printf("%s(%s)\\n", name, argstr) } probe syscall.openat.return { if (pid() == target()) printf("= %s\\n", retstr) }';
	const cmd = 'cat /etc/hostname /nonexistent-tapfleet';
	// one call: its own tracepoints
	const own = await run(tapfleet, ['compile', '-p3', '-e', mine]);
	t.true(own.stdout.includes('TAP_PK_KERNEL, .prog = "probe_0"') && !own.stdout.includes('TAP_PK_SYSCALL'), own.stderr);
	const alone = await run(tapfleet, ['run', '-c', cmd, '-e', mine]);
	// every call (and this script's two): dispatched, syscall.* first in the chain of openat's
	const all = `probe syscall.*, syscall.*.return { if (pid() == target() && name == "openat") printf("any %s\\n", name) } ${mine}`;
	const c = await run(tapfleet, ['compile', '-p3', '-e', all]);
	t.regex(c.stdout, /TAP_PK_SYSCALL, \.prog = "probe_\d+", \.syscall_nr = 257, \.syscall_exit = 0, \.syscall_level = 1/);
	t.regex(c.stdout, /TAP_SYSCALL_DISPATCHER\(enter, tap_sys_enter_0\)/);
	const dispatched = await run(tapfleet, ['run', '-c', cmd, '-e', all]);
	t.is(alone.status, 0, alone.stderr);
	t.is(dispatched.status, 0, dispatched.stderr);
	// a path the probe could not read (its page not in yet: a few % of a fresh process's opens) shows as its address, on either path
	const calls = (out: string) => out.split('\n').filter((l) => /^(openat\(|= )/.test(l)).map((l) => l.replace(/, (0x[0-9a-f]+|"[^"]*"), /, ', PATH, '));
	const ownLines = calls(alone.stdout);
	t.true(alone.stdout.includes('openat(AT_FDCWD, "/etc/hostname", O_RDONLY)\n') && ownLines.includes('= -2 (ENOENT)'), alone.stdout);
	t.true(dispatched.stdout.includes('openat(AT_FDCWD, "/etc/hostname", O_RDONLY)\n'), dispatched.stdout);
	t.deepEqual(calls(dispatched.stdout), ownLines);
	const any = dispatched.stdout.split('\n').filter((l) => l === 'any openat').length;
	t.is(any, 2 * ownLines.filter((l) => l.startsWith('openat(')).length, dispatched.stdout);
});

test('delete of arrays the kernel side keeps adding to (a timer clears them while every system call adds): no false overflow, and the delete ends', async (t) => {
	// Before: the user side deleted key by key from the top of a map that kept refilling, and a
	// kernel-side insert whose element was deleted at once was reported as "Array overflow".
	const script = 'global a, s, rounds probe kernel.trace("raw_syscalls:sys_enter") { a[execname(), $id]++; s[$id] <<< 1 }'
		+ ' probe timer.ms(20) { delete a; delete s; if (++rounds == 25) exit() }'
		+ ' probe end { printf("rounds: %d\\n", rounds + (["", -1] in a) + ([-1] in s)) }'; // (read: not printed at the end)
	const r = await run(tapfleet, ['run', '-T', '60', '-c', 'sh -c "while :; do cat /dev/null; done"', '-e', script]);
	t.is(r.stdout, 'rounds: 25\n', r.stderr);
	t.is(r.status, 0);
	t.notRegex(r.stderr, /ERROR|WARNING/);
});

test('log() prints its message and a newline, on both sides, as stap\'s logging tapset', async (t) => {
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.1', '-e',
		'global n probe begin { log("begins") } probe syscall.clock_nanosleep { if (pid() == target() && !n++) log("kernel side") } probe end { log("ends") }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'begins\nkernel side\nends\n');
});

test('warn() prints a WARNING on standard error and the probe goes on, on both sides, as stap\'s logging tapset', async (t) => {
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.1', '-e',
		'global n probe begin { warn("careful"); println("after") } probe syscall.clock_nanosleep { if (pid() == target() && !n++) { warn(sprintf("kernel %d", 42)); println("kernel after") } }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'after\nkernel after\n');
	t.regex(r.stderr, /^WARNING: careful\nWARNING: kernel 42\n/m);
});

test('assert() with and without a message: nothing when it holds, an error (catchable) when not, on both sides', async (t) => {
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e',
		'probe begin { assert(1); assert(1, "no"); try { assert(0) } catch (e) { println(e) } } probe syscall.execve { if (pid() == target()) { println("kernel"); assert(2 > 3, "two is not above three") } }']);
	t.is(r.status, 1);
	t.is(r.stdout, 'Assertion failed\nkernel\n');
	t.regex(r.stderr, /^ERROR: two is not above three/m);
});

test('system(): a command under /bin/sh -c, from a user-side and a kernel-side probe, after what the probe printed before it; only stdin, stdout and stderr open; exit() waits for it, the time limit stops it', async (t) => {
	const script = 'probe begin { println("before"); system("echo from-begin; ls /proc/self/fd | wc -l") }'
		+ ' probe syscall.clock_nanosleep { if (pid() == target()) system(sprintf("echo from-kernel %d", pid() == target())) }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.split('\n')[0], 'before');
	// ls's own directory descriptor is the fourth
	t.deepEqual(r.stdout.split('\n').slice(1).filter(Boolean).sort(), ['4', 'from-begin', 'from-kernel 1']);
	const waits = await run(tapfleet, ['run', '-e', 'probe begin { system("sleep 0.5; echo late"); println("bye"); exit() }']);
	t.is(waits.status, 0, waits.stderr);
	t.is(waits.stdout, 'bye\nlate\n');
	// a unique command line, to find a survivor by
	const stopped = await run(tapfleet, ['run', '-T', '1', '-e', 'probe begin { system("sleep 61.25; echo never") }']);
	t.is(stopped.status, 0, stopped.stderr);
	t.is(stopped.stdout, '');
	t.is(spawnSync('pgrep', ['-f', 'sleep 61.25']).status, 1, 'the command was stopped with the session');
	// the signed manifest says so, for agents to ask for the right to run commands (test/agent/refusals.test.ts)
	const manifest = (script: string) => JSON.parse(readFileSync(join(execFileSync(process.execPath, [tapfleet, 'compile', '-p4', '-e', script], { encoding: 'utf8' }).trim(), 'manifest.json'), 'utf8'));
	t.is(manifest('probe begin { system("true") }').runsCommands, true);
	t.is(manifest('probe begin { println("no commands") }').runsCommands, undefined);
});

test('system(): a command that ignores SIGTERM outlives a forced stop (Ctrl-C twice), and the session still ends, its output pipes let go', async (t) => {
	const child = spawn(process.execPath, [tapfleet, 'run', '-e', 'probe begin { system("trap \\"\\" TERM; sleep 62.75"); println("started") }'], { stdio: ['ignore', 'pipe', 'pipe'] });
	t.teardown(() => spawnSync('pkill', ['-f', 'sleep 62.75']));
	let out = '';
	let err = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (err += d));
	await until('the session to start', () => out.includes('started'));
	child.kill('SIGINT');
	await until('the polite unload to begin', () => err.includes('press Ctrl-C again'));
	child.kill('SIGINT');
	const status = await new Promise((r) => child.on('close', r));
	t.is(status, 1, err);
	t.regex(err, /session ended \(forced, killed by SIGKILL\)/);
	t.is(spawnSync('pgrep', ['-f', 'sleep 62.75']).status, 0, 'the command ignored SIGTERM and taprun was killed before it could do more');
});

test('system(): at most 64 commands run at once (TAP_MAX_COMMANDS); the 65th is a warning, not started; the time limit stops the 64', async (t) => {
	const script = 'probe begin { for (i = 0; i < 65; i++) system(sprintf("sleep 63.%d", i)) }';
	const r = await run(tapfleet, ['run', '-T', '2', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stderr.match(/^WARNING: system\(\): 64 commands are still running; not starting another$/gm)?.length, 1, r.stderr);
	t.is(spawnSync('pgrep', ['-f', 'sleep 63\\.']).status, 1, 'the commands were stopped with the session');
});

test('sprintf() in a kernel-side probe: %o (which bpf_snprintf lacks) made by the generated code, with width, left and zero padding, negative numbers unsigned, as the user side prints them', async (t) => {
	const format = '%o|%6o|%-6o|%06o|%o|%o';
	const values = '0, 420, 8, 8, -1, 0x7fffffffffffffff';
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e',
		`probe begin { printf("user:   ${format}\\n", ${values}) } probe syscall.execve { if (pid() == target()) printf("kernel: %s\\n", sprintf("${format}", ${values})) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'user:   0|   644|10    |000010|1777777777777777777777|777777777777777777777\n'
		+ 'kernel: 0|   644|10    |000010|1777777777777777777777|777777777777777777777\n');
});

test('sprintf() in a kernel-side probe: precisions, \'#\', signs and %p with a width (made by the generated code, passed to bpf_snprintf as strings) as the user side formats them, stap\'s way', async (t) => {
	const cases: [string, string][] = [
		['%.5d|%-8.3d|%08.3d|%+.2d|% .2d|%#x|%#X|%#o|%#10x|%#010x|%#8o|%.0d', '42, -7, -7, 5, 5, 255, 255, 8, 255, 255, 8, 0'],
		['%.3s|%-6.2s|%8.4s|%.0s|%p|%20p|%-20p|%.3x|%#.4o|%010.3u|%#x|%5.1d', '"abcdef", "abcdef", "abcdef", "abcdef", 4096, 4096, 4096, 10, 8, 7, 0, -3'],
		['%+d|%+5d|% d|%+06d|%.22o|%#.20x|%022d|%#o|%#x|%x|%.2X|%u', '7, -7, 7, 7, -1, -1, -123, 0, 0, -1, 171, -1'],
	];
	const script = cases.map(([format, values], i) =>
		`probe begin { printf("user ${i}:   ${format}\\n", ${values}) } probe syscall.execve { if (pid() == target()) printf("kernel ${i}: %s\\n", sprintf("${format}", ${values})) }`).join('\n');
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	for (const i of cases.keys()) {
		const user = lines.find((l) => l.startsWith(`user ${i}:   `))!.slice(`user ${i}:   `.length);
		const kernel = lines.find((l) => l.startsWith(`kernel ${i}: `))!.slice(`kernel ${i}: `.length);
		t.is(kernel, user, cases[i]![0]);
	}
	t.true(lines.includes('user 0:   00042|-007    |-0000007|+05| 05|0xff|0XFF|010|      0xff|0x000000ff|     010|0'), r.stdout);
	// what neither bpf_snprintf nor the generated code does: %b, %m, %M ('*' and long zeros: sprintf-star.test.ts)
	for (const directive of ['%b", 8', '%m", "ab"', '%M", "ab"']) {
		const refused = await run(tapfleet, ['compile', '-p3', '-e', `probe syscall.execve { println(sprintf("${directive})) }`]);
		t.is(refused.status, 1, directive);
		t.regex(refused.stderr, /this sprintf\(\) directive \(beyond what bpf_snprintf and tapfleet make of it: %b, %m, %M\) is not supported in kernel-side probes/, directive);
	}
});

test('syscall.execve\'s args and env_str: the argument and environment vectors as stap\'s __get_argv() gives them, with filename quoted', async (t) => {
	const script = 'probe syscall.execve { if (pid() == target()) printf("%s %s %s\\n", filename, args, env_str) }';
	// plain words: run as `exec CMD`, so target() is env and then echo (one process)
	const r = await run(tapfleet, ['run', '-c', 'env -i TAPFLEET_FRUIT=kiwi /bin/echo a b', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// env execs echo in the same process: the probe sees both execs
	t.true(r.stdout.includes('"/bin/echo" ["/bin/echo", "a", "b"] ["TAPFLEET_FRUIT=kiwi"]\n'), r.stdout);
	t.true(r.stdout.includes('a b\n'), r.stdout);
});

test('printk(level, msg) writes the kernel log at that level, from a user-side probe and from a kernel-side one (through /dev/kmsg, as the user facility)', async (t) => {
	const mark = `tapfleet-printk-${process.pid}-${Date.now()}`;
	const script = `probe begin { printk(6, "${mark} begin") } probe syscall.execve { if (pid() == target()) printk(12, sprintf("${mark} %s", execname())) }`;
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '');
	const log = execFileSync('dmesg', ['-x'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(mark));
	// level 12 is cut to its low bits (4, warn), as the kernel's <N> takes only a level from user space
	t.is(log.length, 2, log.join('\n'));
	t.regex(log[0]!, new RegExp(`^user\\s*:info\\s*: \\[[ \\d.]+\\] ${mark} begin$`));
	t.regex(log[1]!, new RegExp(`^user\\s*:warn\\s*: \\[[ \\d.]+\\] ${mark} (true|sh)$`));
});
