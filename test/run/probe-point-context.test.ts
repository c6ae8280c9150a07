// pp() and ppfunc() where the script asks: a probe's handler (the point, as
// a literal), and a script function called from several probes (the calling
// probe's, looked up by its index), on both sides; $$return in return
// probes; ppfunc() of points without a function.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, tapfleet } from '../parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-ppfunc-'));
const prog = join(dir, 'args');
execFileSync('gcc', ['-O2', '-g', '-Wall', '-Werror', '-o', prog, join(repoRoot, 'test/fixtures/regargs/args.c')]);

test('pp() and ppfunc() in a function are those of the probe that called it, kernel and user side; $$return of a process return probe', async (t) => {
	const fn = `process("${prog}").function("probe_args")`;
	const script = 'function where() { return sprintf("%s|%s", pp(), ppfunc()) }'
		+ ' probe begin { printf("begin %s [%s]\\n", where(), ppfunc()) }'
		+ ` probe ${fn} { if (pid() == target()) printf("call %s\\n", where()) }`
		+ ` probe ${fn}.return { if (pid() == target()) printf("return %s %s %s\\n", where(), ppfunc(), $$return) }`
		+ ' probe syscall.kill { if (pid() == target()) printf("kill %s\\n", where()) }'
		+ ' probe end { printf("end %s\\n", where()) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// the program's own line aside; its probe_args() returns -5 + 4000000000 + 2^40 + 4 + 5 + 6
	t.is(r.stdout.split('\n').filter((l) => !l.startsWith('110351')).join('\n'), [
		'begin begin| []',
		`call ${fn}|probe_args`,
		`return ${fn}.return|probe_args probe_args return=0x${(4000000010n + (1n << 40n)).toString(16)}`,
		'kill kernel.trace("syscalls:sys_enter_kill")|',
		'end end|',
		'',
	].join('\n'));
});

test('$$return where there is no return value is the located error of an unknown target variable', async (t) => {
	const r = await run(tapfleet, ['compile', '-p4', '-e', 'probe syscall.getppid { println($$return) }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /^semantic error: unable to find tracepoint variable '\$\$return' \(alternatives: \$\$parms \$\$vars\): identifier '\$\$return' at <input>:1:33$/m);
});

test('probefunc(): the probed function at entry and return, in a function the calling probe\'s; the kernel function a profile sample interrupted; "" elsewhere', async (t) => {
	const fn = `process("${prog}").function("probe_args")`;
	const script = 'function f() { return probefunc() }'
		+ ` probe ${fn}, ${fn}.return { if (pid() == target()) printf("%s %s\\n", probefunc(), f()) }`
		+ ' probe begin { printf("begin [%s]\\n", probefunc()) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.split('\n').filter((l) => !l.startsWith('110351')).join('\n'), 'begin []\nprobe_args probe_args\nprobe_args probe_args\n');
	// dd keeps a CPU busy in the kernel (copying zeroes); a sample of user space is the address's, unnamed
	const profile = await run(tapfleet, ['run', '-c', 'dd if=/dev/zero of=/dev/null bs=1M count=1000000', '-T', '5', '-e', 'global n probe timer.profile { if (!user_mode() && !n++) { println(probefunc() =~ "^[A-Za-z_][A-Za-z0-9_.]*$" ? "named" : probefunc()); exit() } }']);
	t.is(profile.status, 0, profile.stderr);
	t.is(profile.stdout, 'named\n');
});


test('an alias with a suffix runs: perf.sw.cpu_clock.sample(N) samples the busy target, and pp() names the expanded point', async (t) => {
	// dd keeps a CPU busy (the probefunc() test's workload); a simple command is the target itself
	const r = await run(tapfleet, ['run', '-c', 'dd if=/dev/zero of=/dev/null bs=1M count=1000000', '-T', '20', '-e',
		'probe perf.sw.cpu_clock.sample(1000000) { if (pid() == target()) { println(pp()); exit() } }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'perf.type(1).config(0).sample(1000000)\n');
});

test('pn(): the script\'s probe point as it matched, wildcards filled in (stap\'s probe_name), in a probe and in a function it calls, kernel and user side', async (t) => {
	const script = 'function f() { return pn() }'
		+ ' probe syscall.openat*, kernel.trace("sched:sched_process_e*") { if (pid() == target()) printf("%s|%s|%s\\n", pn(), f(), pp()) }'
		+ ' probe begin { printf("%s|%s\\n", pn(), f()) } probe end { printf("%s|%s\\n", pn(), f()) }';
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter((l) => l.includes('|'));
	t.is(lines[0], 'begin|begin');
	t.true(lines.includes('kernel.trace("sched:sched_process_exec")|kernel.trace("sched:sched_process_exec")|kernel.trace("sched:sched_process_exec")'), r.stdout);
	t.true(lines.includes('syscall.openat|syscall.openat|kernel.trace("syscalls:sys_enter_openat")'), r.stdout);
	t.true(lines.includes('kernel.trace("sched:sched_process_exit")|kernel.trace("sched:sched_process_exit")|kernel.trace("sched:sched_process_exit")'), r.stdout);
	t.is(lines[lines.length - 1], 'end|end');
});

test('is_return() in a handler and in a function it calls: a uretprobe, a syscall alias\'s return (stap\'s kretprobe), also through a user\'s alias, are 1; their entries, syscall_any.return and sys_exit tracepoints themselves (stap\'s tracepoints), begin and end are 0', async (t) => {
	const fn = `process("${prog}").function("probe_args")`;
	const script = 'global seen function ret() { return is_return() }'
		+ ` probe ${fn}, ${fn}.return { if (pid() == target()) printf("%s %d %d\\n", pp() =~ "return$" ? "uretprobe" : "uprobe", is_return(), ret()) }`
		+ ' probe syscall.kill, syscall.kill.return, kernel.trace("syscalls:sys_exit_kill"), tp_syscall.kill.return {'
		+ '   if (pid() == target() && !seen[pn()]++) printf("%s %d %d\\n", pn(), is_return(), ret()) }'
		+ ' probe syscall_any.return { if (pid() == target() && name == "kill") printf("%s %d %d\\n", pn(), is_return(), ret()) }'
		+ ' probe mykill = syscall.kill.return { } probe mykill { if (pid() == target()) printf("%s %d %d\\n", pn(), is_return(), ret()) }'
		+ ' probe begin { printf("begin %d %d\\n", is_return(), ret()) } probe end { printf("end %d %d\\n", is_return(), ret()) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.deepEqual(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('110351')).sort(), [
		'begin 0 0',
		'end 0 0',
		'kernel.trace("syscalls:sys_exit_kill") 0 0',
		'mykill 1 1',
		'syscall.kill 0 0',
		'syscall.kill.return 1 1',
		'syscall_any.return 0 0',
		'tp_syscall.kill.return 0 0',
		'uprobe 0 0',
		'uretprobe 1 1',
	]);
});
