// print_ubacktrace() on the bpf runtime: the user stack of the probed
// event, each frame named as stap names it (" 0xADDR : func+0xOFF/0xSIZE
// [FILE]"), for a process still running when the record is read (its
// mappings) and for one already gone (the build-id and offset the kernel
// recorded with each frame). test/fixtures/ustack/nested.c is built here.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, tapfleet } from '../parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-ustack-'));
const prog = join(dir, 'nested');
execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Werror', '-o', prog, join(repoRoot, 'test/fixtures/ustack/nested.c')]);

const script = `probe process("${prog}").function("inner") { if (pid() == target()) print_ubacktrace() }`;
const frame = (fn: string): RegExp => new RegExp(`^ 0x[0-9a-f]+ : ${fn}\\+0x[0-9a-f]+/0x[0-9a-f]+ \\[${prog.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\]$`);

function assertStack(t: import('ava').ExecutionContext, stdout: string): void {
	const lines = stdout.split('\n').filter((l) => l.startsWith(' 0x'));
	t.true(lines.length >= 3, stdout);
	t.regex(lines[0]!, frame('inner'));
	t.regex(lines[1]!, frame('outer'));
	t.regex(lines[2]!, frame('main'));
	// main's caller is in the C library
	if (lines[3]) t.regex(lines[3], /libc\.so\.6/);
}

test('a process that exits at once, gone before its record is read: frames named through the build-id and offset taken at the event', async (t) => {
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	assertStack(t, r.stdout);
});

test('a process still running: frames named through its mappings', async (t) => {
	const r = await run(tapfleet, ['run', '-c', `${prog} 1500`, '-e', `${script} probe timer.ms(500) { exit() }`]);
	t.is(r.status, 0, r.stderr);
	assertStack(t, r.stdout);
});

test('print_ubacktrace_brief(): each frame as stap\'s brief form, "name+0xOFF"', async (t) => {
	const r = await run(tapfleet, ['run', '-c', prog, '-e', `probe process("${prog}").function("inner") { if (pid() == target()) print_ubacktrace_brief() }`]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter((l) => /^\w+\+0x[0-9a-f]+$|^0x[0-9a-f]+$/.test(l));
	t.deepEqual(lines.slice(0, 3).map((l) => l.replace(/\+0x[0-9a-f]+$/, '')), ['inner', 'outer', 'main'], r.stdout);
});

test('print_ubacktrace() where there is no user stack of an event is refused by name', async (t) => {
	const r = await run(tapfleet, ['compile', '-p3', '-e', 'probe begin { print_ubacktrace() }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /print_ubacktrace\(\) outside a kernel-side probe handler body/);
});

test('ubacktrace() as an array key, named in the end probe by print_ustack() and sprint_ustack() through the mappings kept of the process', async (t) => {
	const keyed = `global s probe process("${prog}").function("inner") { if (pid() == target()) s[ubacktrace()] <<< 1 }`
		+ ' probe timer.ms(500) { exit() }'
		+ ' probe end { foreach (k in s) { printf("[%s]\\n", k); print_ustack(k); printf("--\\n%s", sprint_ustack(k)) } }';
	const r = await run(tapfleet, ['run', '-c', `${prog} 1500`, '-e', keyed]);
	t.is(r.status, 0, r.stderr);
	const [key, ...rest] = r.stdout.split('\n').filter((l) => l !== '1');
	t.regex(key!, /^\[0x[0-9a-f]+( 0x[0-9a-f]+){2,}\]$/);
	const printed = rest.slice(0, rest.indexOf('--'));
	assertStack(t, printed.join('\n'));
	t.deepEqual(rest.slice(rest.indexOf('--') + 1).filter((l) => l), printed);
	// the same addresses, in order
	t.deepEqual(printed.map((l) => l.trim().split(' ')[0]), key!.slice(1, -1).split(' '));
});

test('print_ustack() in a kernel-side probe is refused: print_ubacktrace() prints a stack where it is taken', async (t) => {
	const r = await run(tapfleet, ['compile', '-p3', '-e', 'probe syscall.getpid { print_ustack(ubacktrace()) }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /print_ustack\(\) \(print_ubacktrace\(\) prints the stack where it is taken\) is not supported in kernel-side probes/);
});

test('ucallers(n) and ustack(n): ubacktrace()\'s first n + 1 addresses and the one at depth n, named later by print_ustack(); a shallower stack is stap\'s error', async (t) => {
	const script = `global k, all probe process("${prog}").function("inner") { if (pid() != target()) next; all = ubacktrace(); k = ucallers(1);`
		+ ' printf("0x%x\\n", ustack(2)); println(ucallers(-1) == all); try { println(ustack(19)) } catch (m) { println(m) } }'
		+ ' probe end { println(all); println(k); print_ustack(k) }';
	// the program's own "1" out of the way (exec: the shell's pid, target(), becomes the program's); alive
	// 300 ms after the call, so that its mappings are read while it runs (the addresses of a string carry no
	// build-id: a process gone before its record is drained cannot have them named, which a loaded CI machine hit)
	const r = await run(tapfleet, ['run', '-c', `exec ${prog} 300 > /dev/null`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const [third, same, deep, all, k, ...named] = r.stdout.split('\n');
	const hex = all!.split(' ');
	t.is(third, hex[2]);
	t.is(same, '1');
	t.is(deep, 'reached end of stack before unwinding to level 19');
	t.is(k, `${hex[0]} ${hex[1]}`);
	t.regex(named.join('\n'), new RegExp(`^ ${hex[0]} : inner\\+0x0/0x[0-9a-f]+ \\[[^\\]]+\\]\n ${hex[1]} : outer\\+0x[0-9a-f]+/0x[0-9a-f]+ \\[[^\\]]+\\]\n$`), r.stdout);
});

test('sprint_ubacktrace() in a kernel-side probe: the stack in stap\'s simple form, named there as kmod names it (a library without a table by its file); in timer.profile too, with -d', async (t) => {
	const file = prog.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
	const r = await run(tapfleet, ['run', '-c', `exec ${prog} > /dev/null`, '-e', `probe process("${prog}").function("inner") { if (pid() == target()) print(sprint_ubacktrace()) }`]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, new RegExp(`^inner\\+0x0 \\[${file}\\]\nouter\\+0x[0-9a-f]+ \\[${file}\\]\nmain\\+0x[0-9a-f]+ \\[${file}\\]\n0x[0-9a-f]+ \\[(?:/usr)?/lib/x86_64-linux-gnu/libc\\.so\\.6\\+0x[0-9a-f]+\\]\n`), r.stdout);
	const spin = join(dir, 'spin-bt');
	execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Werror', '-o', spin, join(repoRoot, 'test/fixtures/ustack/spin.c')]);
	const sampled = await run(tapfleet, ['run', '-d', spin, '-c', `exec ${spin} 300000000 > /dev/null`, '-e',
		'global n probe timer.profile { if (pid() == target() && user_mode() && !n++) print(sprint_ubacktrace()) }']);
	t.is(sampled.status, 0, sampled.stderr);
	const s = spin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
	t.regex(sampled.stdout, new RegExp(`^spin\\+0x[0-9a-f]+ \\[${s}\\]\nwork\\+0x[0-9a-f]+ \\[${s}\\]\nmain\\+0x[0-9a-f]+ \\[${s}\\]\n`), sampled.stdout);
});

test('sprint_ubacktrace(), usymname() in a user-side probe (taprun, not a traced task) refused by name', async (t) => {
	for (const call of ['sprint_ubacktrace()', 'usymname(0)']) {
		const r = await run(tapfleet, ['compile', '-p3', '-e', `probe begin { println(${call}) }`]);
		t.is(r.status, 1, call);
		t.regex(r.stderr, /^<input>:1:\d+: (sprint_ubacktrace\(\) outside a kernel-side probe handler body|usymname\(\) \(a user address of the probed task: kernel-side probes only\)) is not supported in user-side probes by the bpf runtime yet\n/, call);
	}
});

test('usymname(), usymdata(), umodname() in a kernel-side probe: named there, from the tables the module carries for the probed file, as kmod names them; an address nothing maps: stap\'s error, its hex', async (t) => {
	const script = `probe process("${prog}").function("inner") { if (pid() != target()) next`
		+ ' printf("%s|%s|%s\\n", usymname(uaddr()), usymdata(uaddr()), umodname(uaddr()))'
		+ ' try { println(umodname(0)) } catch (m) { println(m) } printf("%s|%s\\n", usymname(0), usymdata(0)) }';
	const r = await run(tapfleet, ['run', '-c', `exec ${prog} > /dev/null`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const file = prog.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
	t.regex(r.stdout, new RegExp(`^inner\\|inner\\+0x0/0x[0-9a-f]+ \\[${file}\\]\\|${file}\nmodule cannot be found\n0x0\\|0x0\n$`));
});

test('usymname() and umodname() in timer.profile, as SystemTap\'s pf3.stp uses them: samples counted per function of a program named with -d, and a library without a table named by its file, its functions in hex', async (t) => {
	const spin = join(dir, 'spin');
	execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Werror', '-o', spin, join(repoRoot, 'test/fixtures/ustack/spin.c')]);
	const script = 'global profile probe timer.profile { if (pid() != target() || !user_mode()) next'
		+ ' profile[umodname(uaddr()) . ":" . usymname(uaddr())] <<< 1 }'
		+ ' probe end { foreach (f in profile- limit 3) printf("%s %d\\n", f, @count(profile[f]) > 0) }';
	const r = await run(tapfleet, ['run', '-d', spin, '-c', `${spin} 300000000`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter((l) => l.includes(':'));
	// the program's time is in spin(): every sample of it is one key (a stap key per function, not per address)
	t.is(lines[0], `${spin}:spin 1`, r.stdout);
	for (const l of lines) t.regex(l, new RegExp(`^(${spin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:(spin|work|main)|/\\S+:0x[0-9a-f]+) 1$`), r.stdout);
});

test('print_stack(backtrace()) and print_syms() in a kernel-side probe print the frames as print_backtrace() does, in order with the probe\'s other output', async (t) => {
	const script = 'global done probe kernel.trace("sched:sched_switch") { if (!done && $next_pid == target()) { done = 1;'
		+ ' println("before"); stk = backtrace(); print_stack(stk); println("middle"); print_syms(stk); println("after") } }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const frames = '((?: 0x[0-9a-f]{16} : [\\w.]+\\+0x[0-9a-f]+/0x[0-9a-f]+ \\[kernel\\]\\n)+)';
	const m = new RegExp(`^before\\n${frames}middle\\n${frames}after\\n$`).exec(r.stdout);
	t.truthy(m, r.stdout);
	t.is(m?.[2], m?.[1]);
});
