// Successful elaboration against this host's profile: the -p2 listing,
// alias expansion, wildcards, optional/sufficient/conditional probes,
// type inference across functions, and the IR pass 3 consumes.
import test from 'ava';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Call, ConcreteProbe, Expr, Stmt } from '../../controller/elaborate/program.js';
import { walkStmt } from '../../controller/elaborate/walk.js';
import { elaborate, localProfile, withKprobes } from './helpers.js';

const exprsOf = (s: Stmt): Expr[] => {
	const out: Expr[] = [];
	walkStmt(s, (e) => out.push(e));
	return out;
};

test('-p2 listing of a begin/timer/end script, in stap -p2 form', async (t) => {
	const r = elaborate(await localProfile(),
		'global count, s, names\n'
		+ 'probe begin { printf("start %s\\n", execname()) }\n'
		+ 'probe timer.ms(100) { count++; s <<< gettimeofday_us(); names[pid(), "x"] = tid(); if (count > 3) exit() }\n'
		+ 'probe end { printf("%d %d %d\\n", count, @count(s), @avg(s)) foreach ([p, k] in names) println(p, k) }\n');
	t.is(r.stderr, '');
	t.is(r.listing,
		'# globals\n'
		+ 'count:long\n'
		+ 's:stats\n'
		+ 'names:long [long, string]\n'
		+ '# functions\n'
		+ 'execname:string ()\n'
		+ 'exit:unknown ()\n'
		+ 'gettimeofday_us:long ()\n'
		+ 'pid:long ()\n'
		+ 'tid:long ()\n'
		+ '# probes\n'
		+ 'begin /* <- begin */\n'
		+ 'timer.ms(100) /* <- timer.ms(100) */\n'
		+ 'end /* <- end */\n'
		+ '  # locals\n'
		+ '  p:long\n'
		+ '  k:string\n');
	const prog = r.program!;
	t.deepEqual(prog.probes.map((p) => p.event), [
		{ kind: 'begin', priority: 0n },
		{ kind: 'timer', intervalNs: 100000000n, randomizeNs: 0n },
		{ kind: 'end', priority: 0n },
	]);
	const s = prog.globals.find((g) => g.name === 's')!;
	t.deepEqual(s.stats, { count: true, sum: false, min: false, max: false, avg: true, variance: null, histLog: false, histLinear: [] });
});

test('timers: units, hz, jiffies, randomize, profile; begin(N) priorities', async (t) => {
	const p = await localProfile();
	const r = elaborate(p, 'probe timer.s(2), timer.us(50), timer.hz(100), timer.ms(10).randomize(2), timer.profile, begin(-5), end(10) { }');
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => x.event), [
		{ kind: 'timer', intervalNs: 2000000000n, randomizeNs: 0n },
		{ kind: 'timer', intervalNs: 50000n, randomizeNs: 0n },
		{ kind: 'timer', intervalNs: 10000000n, randomizeNs: 0n },
		{ kind: 'timer', intervalNs: 10000000n, randomizeNs: 2000000n },
		{ kind: 'profile' },
		{ kind: 'begin', priority: -5n },
		{ kind: 'end', priority: 10n },
	]);
});

test('syscall.* expands to one probe per syscall tracepoint, with argstr typed string', async (t) => {
	const p = await localProfile();
	const enters = p.tracepoints.filter((tp) => tp.system === 'syscalls' && tp.name.startsWith('sys_enter_')).length;
	t.true(enters > 200, `only ${enters} syscall tracepoints`);
	const r = elaborate(p, 'global calls\nprobe syscall.* { calls[name] <<< 1; if (pid() == 1) println(argstr) }\n');
	t.is(r.stderr, '');
	// calls is written, never read: stap displays it at the end (one synthetic end probe, last)
	t.is(r.program!.probes.at(-1)!.point, 'end');
	const probes = r.program!.probes.slice(0, -1);
	t.is(probes.length, enters);
	t.true(probes.every((x) => x.event.kind === 'tracepoint' && x.event.system === 'syscalls'));
	const openat = probes.find((x) => x.point === 'kernel.trace("syscalls:sys_enter_openat")')!;
	t.is(openat.named, 'syscall.openat');
	t.deepEqual(openat.locals.map((l) => `${l.name}:${l.type}`), ['name:string', 'dfd:long', 'filename:string', 'flags:long', 'mode:long', 'argstr:string']);
	t.deepEqual(openat.targetVars.map((v) => `${v.name}:${v.cType}`).sort(), ['$dfd:int', '$filename:const char *', '$flags:int', '$mode:umode_t']);
});

test('syscall.open also fires for openat and openat2; return probes have retstr and $return', async (t) => {
	const r = elaborate(await localProfile(), 'probe syscall.open { println(name, argstr) } probe syscall.open.return { println(retstr, $return) }');
	t.is(r.stderr, '');
	const points = r.program!.probes.map((x) => x.point);
	t.true(points.includes('kernel.trace("syscalls:sys_enter_openat")'));
	t.true(points.includes('kernel.trace("syscalls:sys_enter_openat2")'));
	t.true(points.includes('kernel.trace("syscalls:sys_exit_openat")'));
	const ret = r.program!.probes.find((x) => x.point === 'kernel.trace("syscalls:sys_exit_openat")')!;
	t.deepEqual(ret.targetVars.map((v) => v.name).sort(), ['$ret', '$return']);
});

test('no-debuginfo spellings name the same probes', async (t) => {
	const p = await localProfile();
	for (const spelling of ['nd_syscall', 'nd1_syscall', 'nd2_syscall', 'tp_syscall']) {
		const r = elaborate(p, `probe ${spelling}.read { println(argstr) }`);
		t.deepEqual(r.program!.probes.map((x) => x.point), ['kernel.trace("syscalls:sys_enter_read")'], spelling);
	}
});

test('kernel.trace by subsystem:event, by event alone, with wildcards; fields typed', async (t) => {
	const p = await localProfile();
	const r = elaborate(p, 'probe kernel.trace("sched_switch") { printf("%s %d\\n", $prev_comm, $prev_pid) }');
	t.is(r.stderr, '');
	const probe = r.program!.probes[0]!;
	t.is(probe.point, 'kernel.trace("sched:sched_switch")');
	const comm = probe.targetVars.find((v) => v.name === '$prev_comm')!;
	t.is(comm.type, 'string');
	t.like(comm.source, { kind: 'tracepoint_field', charArray: true });
	const sched = elaborate(p, 'probe kernel.trace("sched:sched_process_*") { }');
	t.true(sched.program!.probes.length >= 3);
	t.true(sched.program!.probes.every((x) => x.point.startsWith('kernel.trace("sched:sched_process_')));
});

test('aliases: prologue before, epilogue (+=) after, nested, two-body form', async (t) => {
	const r = elaborate(await localProfile(),
		'probe inner = begin { x = "inner" }\n'
		+ 'probe outer = inner { y = x . "+outer" }\n'
		+ 'probe after += outer { println(z) }\n'
		+ 'probe after { z = y }\n');
	t.is(r.stderr, '');
	const body = r.program!.probes[0]!.body;
	const assignsInOrder = exprsOf(body).filter((e) => e.kind === 'assign').map((e) => (e.kind === 'assign' && e.target.kind === 'var' ? e.target.variable.name : '?'));
	t.deepEqual(assignsInOrder, ['x', 'y', 'z']);
	t.true(r.listing.includes('begin /* <- inner = begin <- outer = inner <- after += outer <- after */'));
});

test('alias suffixes: perf.sw.cpu_clock.sample(N), a user alias with .return; a suffix the alias\'s locations do not take is located at the suffix', async (t) => {
	const p = await localProfile();
	const perf = elaborate(p, 'probe perf.sw.cpu_clock.sample(1000000) { }');
	t.is(perf.stderr, '');
	t.deepEqual(perf.program!.probes.map((x) => [x.point, x.named]), [['perf.type(1).config(0).sample(1000000)', 'perf.sw.cpu_clock.sample(1000000)']]);
	const ret = elaborate(p, 'probe myopen = syscall.openat { } probe myopen.return { println($return) }');
	t.is(ret.stderr, '');
	t.deepEqual(ret.program!.probes.map((x) => x.point), ['kernel.trace("syscalls:sys_exit_openat")']);
	// an exact alias name is not read as a shorter one with a suffix
	const exact = elaborate(p, 'probe syscall.openat.return { }');
	t.deepEqual(exact.program!.probes.map((x) => x.named), ['syscall.openat.return']);
	const bad = elaborate(p, 'probe perf.sw.cpu_clock.bogus(3) { }');
	t.regex(bad.stderr, /probe point mismatch: the alias perf\.sw\.cpu_clock \(= perf\.type\(1\)\.config\(0\)\) takes no suffix \.bogus\(3\): identifier 'bogus' at <input>:1:25\n/);
	t.is(bad.program, null);
});

test('an alias met again inside its own expansion is a loop, said at once (SystemTap\'s semko/alias_suffixes09.stp fans out three ways a level: it ran for minutes)', async (t) => {
	const p = await localProfile();
	const script = 'probe q.whoosh = nonesistent { } probe cheese = makery { } probe bar = makery.whoosh { } probe foo = q?, cheese, bar { }'
		+ ' probe makery = foo.whoosh { } probe a.b.c = makery { } probe a.b.c { print("what?") }';
	const r = elaborate(p, script);
	t.is(r.program, null);
	t.regex(r.stderr, /semantic error: recursive loop in alias expansion of makery\.whoosh: identifier 'makery' at <input>:1:/);
	// without a suffix too; an alias used twice side by side is no loop
	t.regex(elaborate(p, 'probe x = y { } probe y = x { } probe x { }').stderr, /recursive loop in alias expansion of x: /);
	const twice = elaborate(p, 'probe t = begin { } probe u = t, t { } probe u { }');
	t.is(twice.stderr, '');
	t.is(twice.program!.probes.length, 2);
});

test('a probe point that expands past 100,000 probes is refused by name (aliases naming the next twice: 2^22 of them ran out of stack)', async (t) => {
	const p = await localProfile();
	const levels = 17;
	let script = '';
	for (let i = 0; i < levels; i++) script += `probe a${i} = a${i + 1}, a${i + 1} { } `;
	script += `probe a${levels} = begin { } probe a0 { }`;
	const r = elaborate(p, script);
	t.is(r.program, null);
	t.regex(r.stderr, /semantic error: probe point a0 expands to more than 100000 probes: identifier 'a0' at <input>:1:\d+\n/);
});

test('optional ?, sufficient !, {a,b} alternatives and if conditions', async (t) => {
	const p = await localProfile();
	const opt = elaborate(p, 'probe kernel.trace("nosuch:event")?, begin { }');
	t.deepEqual(opt.program!.probes.map((x) => x.point), ['begin']);
	const suff = elaborate(p, 'probe a = kernel.trace("sched:sched_switch")!, kernel.trace("sched:sched_wakeup") { } probe a { }');
	t.deepEqual(suff.program!.probes.map((x) => x.point), ['kernel.trace("sched:sched_switch")']);
	// in a probe's own list too, and in braces (SystemTap's mmanonpage.stp): the next location is not even looked up
	const direct = elaborate(p, 'probe kernel.trace("sched_switch")!, kernel.trace("nosuch:event") { }');
	t.deepEqual(direct.program!.probes.map((x) => x.point), ['kernel.trace("sched:sched_switch")'], direct.stderr);
	const inBraces = elaborate(p, 'probe kernel.{trace("nosuch:event")!, trace("sched:sched_wakeup")!, trace("sched:sched_switch")} { }');
	t.deepEqual(inBraces.program!.probes.map((x) => x.point), ['kernel.trace("sched:sched_wakeup")'], inBraces.stderr);
	const neither = elaborate(p, 'probe kernel.trace("nosuch:event")!, kernel.trace("nosuch:other") { }');
	t.regex(neither.stderr, /while resolving probe point: identifier 'kernel' at <input>:1:38\n/);
	const braces = elaborate(p, 'probe syscall.{read,write} { }');
	t.deepEqual(braces.program!.probes.map((x) => x.named), ['syscall.read', 'syscall.write']);
	const cond = elaborate(p, 'global on probe timer.s(1) if (on) { on = 0 } probe begin { on = 1 }');
	t.is(cond.stderr, '');
	t.is(cond.program!.probes[0]!.condition?.kind, 'var');
});

test('type inference to a fixpoint across functions, arrays and returns', async (t) => {
	const r = elaborate(await localProfile(),
		'global seen\n'
		+ 'function wrap(x) { return "<" . inner(x) . ">" }\n'
		+ 'function inner(y) { return y }\n'
		+ 'function count(k) { seen[k]++; return seen[k] }\n'
		+ 'probe begin { println(wrap(execname())); println(count(wrap("a"))) }\n');
	t.is(r.stderr, '');
	t.true(r.listing.includes('seen:long [string]\n'));
	t.true(r.listing.includes('wrap:string (x:string)\n'));
	t.true(r.listing.includes('inner:string (y:string)\n'));
	t.true(r.listing.includes('count:long (k:string)\n'));
	const call = exprsOf(r.program!.probes[0]!.body).find((e): e is Call => e.kind === 'call' && e.callee.name === 'wrap')!;
	t.is(call.type, 'string');
	t.is(call.callee.body.kind, 'script');
	const exec = exprsOf(r.program!.probes[0]!.body).find((e): e is Call => e.kind === 'call' && e.callee.name === 'execname')!;
	t.deepEqual(exec.callee.body, { kind: 'runtime', operation: 'execname' });
});

test('every expression is typed; bindings point at declarations', async (t) => {
	const r = elaborate(await localProfile(), 'global total probe kernel.trace("sched:sched_switch") { n = $next_pid; total += n; s = sprintf("%d", n) . $next_comm; if (strlen(s) > 3) total-- }');
	t.is(r.stderr, '');
	const probe: ConcreteProbe = r.program!.probes[0]!;
	const all = exprsOf(probe.body);
	t.true(all.every((e) => e.type !== 'unknown'), all.filter((e) => e.type === 'unknown').map((e) => e.kind).join());
	const refs = all.filter((e) => e.kind === 'var').map((e) => (e.kind === 'var' ? `${e.variable.kind}:${e.variable.name}` : ''));
	t.true(refs.includes('target:$next_pid'));
	t.true(refs.includes('global:total'));
	t.true(refs.includes('local:n'));
});

test('unused alias variables are elided (no cost for argstr nobody reads); stap warnings for user code', async (t) => {
	const r = elaborate(await localProfile(), 'global unused, never\nprobe syscall.read { x = 1; println(never + 1) }');
	t.regex(r.stderr, /WARNING: Eliding assignment to 'x': operator '=' at <input>:2:24/);
	t.regex(r.stderr, /WARNING: Eliding unused variable 'unused'/);
	t.regex(r.stderr, /WARNING: never-assigned global variable 'never'/);
	t.deepEqual(r.program!.probes[0]!.locals, []);
	t.false(r.listing.includes('user_string_quoted'));
});

test('an alias assignment in an if/else branch is elided too (openat\'s argstr, set by O_CREAT): nothing formatted, no target variable fetched; a user\'s if with an effect stays', async (t) => {
	const r = elaborate(await localProfile(), 'probe syscall.openat { println(pid()) }');
	t.is(r.stderr, '');
	const probe = r.program!.probes[0]!;
	t.deepEqual(probe.locals, []);
	t.deepEqual(probe.targetVars, []);
	t.deepEqual(exprsOf(probe.body).filter((e) => e.kind === 'call').map((e) => (e as Call).callee.name), ['pid']);
	// Reading argstr keeps both branches and what they read.
	const kept = elaborate(await localProfile(), 'probe syscall.openat { println(argstr) }').program!.probes[0]!;
	t.deepEqual(kept.targetVars.map((v) => v.name).sort(), ['$dfd', '$filename', '$flags', '$mode']);
	// A dead assignment goes, but not a branch's call with an effect of its own, nor the if around it.
	const user = elaborate(await localProfile(), 'probe syscall.openat { if ($flags & 64) { x = 1; exit() } else y = 2 }');
	t.regex(user.stderr, /Eliding assignment to 'x'/);
	t.regex(user.stderr, /Eliding assignment to 'y'/);
	const calls = exprsOf(user.program!.probes[0]!.body).filter((e) => e.kind === 'call').map((e) => (e as Call).callee.name);
	t.deepEqual(calls, ['exit']);
	t.deepEqual(user.program!.probes[0]!.targetVars.map((v) => v.name), ['$flags']);
});

test('@defined decides at elaboration; $$vars formats every field', async (t) => {
	const r = elaborate(await localProfile(), 'probe kernel.trace("sched:sched_wakeup") { println(@defined($pid) ? $pid : -1, @defined($nope) ? $nope : -1); println($$vars) }');
	t.is(r.stderr, '');
	const print = exprsOf(r.program!.probes[0]!.body).find((e) => e.kind === 'print' && e.name === 'sprintf');
	t.truthy(print);
});

test('named probes of the tapsets elaborate on this kernel', async (t) => {
	const p = await localProfile();
	for (const point of ['scheduler.ctxswitch', 'scheduler.cpu_on', 'scheduler.cpu_off', 'scheduler.wakeup', 'scheduler.process_exit',
		'kprocess.create', 'kprocess.exec', 'kprocess.exit', 'kprocess.release', 'process.exec', 'process.exit', 'vm.pagefault',
		'netdev.receive', 'netdev.transmit', 'ioblock.request', 'ioblock.end', 'signal.send', 'signal.handle',
		'irq_handler.entry', 'irq_handler.exit', 'syscall_any', 'syscall_any.return', 'perf.sw.cpu_clock']) {
		const r = elaborate(p, `probe ${point} { printf("%s\\n", pp()) }`);
		t.is(r.stderr, '', point);
		t.true((r.program?.probes.length ?? 0) >= 1, point);
	}
});

test('kernel.function resolves against a profile that has kprobes', async (t) => {
	const p = withKprobes(await localProfile(), ['vfs_read', 'vfs_readv', 'vfs_write']);
	const r = elaborate(p, 'probe kernel.function("vfs_read").return, kernel.function("vfs_readv").return { println($return) } probe kprobe.function("vfs_write") { }');
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => x.event), [
		{ kind: 'kprobe', symbol: 'vfs_read', offset: 0n, isReturn: true },
		{ kind: 'kprobe', symbol: 'vfs_readv', offset: 0n, isReturn: true },
		{ kind: 'kprobe', symbol: 'vfs_write', offset: 0n, isReturn: false },
	]);
	t.regex(elaborate(p, 'probe kernel.function("no_such_function_xyz") { }').stderr, /semantic error: no match: keyword at <input>:1:14\n/);
	// near names from the functions the target can probe, an @file suffix aside
	t.regex(elaborate(p, 'probe kernel.function("vfs_reed@fs/read_write.c") { }').stderr, /no match \(similar functions: vfs_read, [^)]*\): keyword/);
	t.regex(elaborate(p, 'probe kernel.function("vfs_writ").return { }').stderr, /no match \(similar functions?: vfs_write[,)]/);
});

test('.call is a function\'s entry (every entry tapfleet sees is a call: no debuginfo, no inlined copies); another suffix does not resolve', async (t) => {
	const p = withKprobes(await localProfile(), ['vfs_read']);
	const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
	const r = elaborate(p, `probe kernel.function("vfs_read").call, process("${libc}").function("uname").call { println(pp()) }`);
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => [x.event.kind, 'isReturn' in x.event && x.event.isReturn, x.point]), [
		['kprobe', false, 'kernel.function("vfs_read")'],
		['uprobe', false, `process("${libc}").function("uname")`],
	]);
	t.regex(elaborate(p, 'probe kernel.function("vfs_read").inline { }').stderr, /while resolving probe point/);
});

test('process("PATH") with wildcards: every ELF file it matches (by its real path), others skipped; no match and too many matches refused by name', async (t) => {
	const p = await localProfile();
	const libs = '/usr/lib/x86_64-linux-gnu';
	const r = elaborate(p, `probe process("${libs}/libc.so*").function("uname"), process("${libs}/libstdc++.so.*").mark("throw") { }`);
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => x.point), [
		`process("${realpathSync(`${libs}/libc.so.6`)}").function("uname")`,
		`process("${realpathSync(`${libs}/libstdc++.so.6`)}").provider("libstdcxx").mark("throw")`,
	]);
	t.regex(elaborate(p, 'probe process("/usr/lib*/no-such-lib.so.*").function("x") { }').stderr, /no ELF file matches '\/usr\/lib\*\/no-such-lib\.so\.\*'/);
	t.regex(elaborate(p, `probe process("${libs}/libz.so*").mark("x") { }`).stderr, /no file matching '[^']+libz\.so\*' has SDT markers/);
	// the limit, at its edge: 1024 files are read (none is ELF), 1025 are refused
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-glob-'));
	for (let i = 0; i < 1024; i++) writeFileSync(join(dir, `f${i}`), 'not elf');
	t.regex(elaborate(p, `probe process("${dir}/f*").function("x") { }`).stderr, /no ELF file matches/);
	writeFileSync(join(dir, 'f1024'), 'not elf');
	t.regex(elaborate(p, `probe process("${dir}/f*").function("x") { }`).stderr, /matches more than 1024 paths/);
	rmSync(dir, { recursive: true, force: true });
});
