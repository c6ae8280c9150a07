// Every semantic error path of pass 2, in stap's form, against this host's profile.
import test from 'ava';
import type { Stmt } from '../../controller/elaborate/program.js';
import { elaborate, localProfile } from './helpers.js';

test('unknown probe point: located, with close names', async (t) => {
	const r = elaborate(await localProfile(), 'probe begn { }');
	t.is(r.program, null);
	t.is(r.stderr,
		"semantic error: while resolving probe point: identifier 'begn' at <input>:1:7\n"
		+ '        source: probe begn { }\n'
		+ '                      ^\n\n'
		+ "semantic error: probe point mismatch (similar: begin, end, perf, kernel, never): identifier 'begn' at <input>:1:7\n"
		+ '        source: probe begn { }\n'
		+ '                      ^\n\n');
});

test('unknown second component and unknown tracepoint', async (t) => {
	const p = await localProfile();
	const a = elaborate(p, 'probe syscall.opne { }');
	t.regex(a.stderr, /probe point mismatch \(similar: open[^)]*\): identifier 'opne' at <input>:1:15/);
	const b = elaborate(p, 'probe kernel.trace("sched:no_such_event") { }');
	t.regex(b.stderr, /semantic error: no match: identifier 'trace' at <input>:1:14\n/);
});

test('a tracepoint, kernel function or program function the target lacks: no match, with the near names it has (as stap: top 5, edit distance up to 5)', async (t) => {
	const p = await localProfile();
	// with and without the system; singular and plural as stap words them
	t.regex(elaborate(p, 'probe kernel.trace("sched:sched_swich") { }').stderr,
		/semantic error: no match \(similar tracepoints: sched:sched_switch[^)]*\): identifier 'trace' at <input>:1:14\n/);
	t.regex(elaborate(p, 'probe kernel.trace("sched_swich") { }').stderr, /no match \(similar tracepoints?: sched_switch[,)]/);
	t.regex(elaborate(p, 'probe kernel.trace("sched_process_exex") { }').stderr, /no match \(similar tracepoints?: sched_process_exec[,)]/);
	// a wildcard that matches nothing names nothing
	t.regex(elaborate(p, 'probe kernel.trace("sched_swich*") { }').stderr, /no match: identifier 'trace'/);
	// a program's function (the symbol table of the file)
	t.regex(elaborate(p, 'probe process("/bin/bash").function("readlin") { }').stderr,
		/semantic error: no match \(similar functions: readline, [^)]*\): keyword at <input>:1:28\n/);
	// optional points stay silent
	t.is(elaborate(p, 'probe kernel.trace("sched_swich") ?, begin { }').stderr, '');
});

test('unknown function suggests similar ones', async (t) => {
	const r = elaborate(await localProfile(), 'probe begin { printf("%s\\n", exename()) }');
	t.is(r.program, null);
	t.regex(r.stderr, /^semantic error: unresolved function exename \(similar: execname[^)]*\): identifier 'exename' at <input>:1:30\n/);
});

test('type conflict a = 1; a = "s": where, and where first inferred', async (t) => {
	const r = elaborate(await localProfile(), 'probe begin { a = 1; a = "s"; print(a) }');
	t.is(r.stderr,
		"semantic error: type mismatch (string): identifier 'a' at <input>:1:22\n"
		+ '        source: probe begin { a = 1; a = "s"; print(a) }\n'
		+ '                                     ^\n\n'
		+ "semantic error: type was first inferred here (long): identifier 'a' at <input>:1:15\n"
		+ '        source: probe begin { a = 1; a = "s"; print(a) }\n'
		+ '                              ^\n\n');
	// Without a use, both assignments are dead and elided first, as stap does.
	t.regex(elaborate(await localProfile(), 'probe begin { a = 1; a = "s" }').stderr, /^WARNING: Eliding assignment to 'a': operator '=' at <input>:1:17\n/);
});

test('type conflicts through globals, array keys, functions and comparisons', async (t) => {
	const p = await localProfile();
	t.regex(elaborate(p, 'global g probe begin { g = 1 } probe end { g = "x" }').stderr, /type mismatch \(string\): identifier 'g'/);
	t.regex(elaborate(p, 'global a probe begin { a[1] = 1; a["k"] = 2 }').stderr, /index 0 type mismatch \(string\)/);
	t.regex(elaborate(p, 'function f(x) { return x + 1 } probe begin { f("s") }').stderr, /index 0 type mismatch \(string\)|type mismatch/);
	t.regex(elaborate(p, 'probe begin { if (execname() == 1) next }').stderr, /type mismatch/);
	t.regex(elaborate(p, 'global a probe begin { a[1] = 1; a[1, 2] = 2 }').stderr, /inconsistent arity \(1 vs 2\)/);
	t.regex(elaborate(p, 'probe begin { printf("%d %d\\n", 1) }').stderr, /Wrong number of args to formatted print operation/);
	t.regex(elaborate(p, 'probe begin { x <<< 1 }').stderr, /stat locals not supported/);
});

test('wrong argument count names the function and points at its declaration', async (t) => {
	const r = elaborate(await localProfile(), 'function f(x) { return x+1 } probe begin { f(1,2) }');
	t.regex(r.stderr, /^semantic error: arity mismatch found \(function 'f' takes 1 args\): identifier 'f' at <input>:1:44\n/);
	t.regex(r.stderr, /identifier 'f' at <input>:1:10\n/);
	t.regex(elaborate(await localProfile(), 'probe begin { println(substr("abc")) }').stderr, /arity mismatch found \(function 'substr' takes 3 args\)/);
});

test('undefined target variable lists the alternatives', async (t) => {
	const r = elaborate(await localProfile(), 'probe kernel.trace("sched:sched_switch") { println($prev_pdi) }');
	t.is(r.program, null);
	t.regex(r.stderr, /^semantic error: unable to find tracepoint variable '\$prev_pdi' \(alternatives: \$prev_comm \$prev_pid .*\$\$vars\): identifier '\$prev_pdi' at <input>:1:52\n/);
	t.regex(elaborate(await localProfile(), 'probe begin { println($x) }').stderr, /unable to find tracepoint variable '\$x'/);
	t.regex(elaborate(await localProfile(), 'probe kernel.trace("sched:sched_switch") { println($prev_comm->x) }').stderr, /cannot access members/);
});

test('unresolved types are reported, not guessed', async (t) => {
	const r = elaborate(await localProfile(), 'probe begin { print(x) }');
	t.regex(r.stderr, /WARNING: never-assigned local variable 'x'/);
	t.regex(r.stderr, /semantic error: unresolved type/);
});

test('target variables are written only in guru mode, and used only in probes', async (t) => {
	const p = await localProfile();
	t.regex(elaborate(p, 'probe kernel.trace("sched:sched_switch") { $prev_pid = 1 }').stderr, /write to target variable not permitted; need stap -g/);
	t.regex(elaborate(p, 'function f() { return $x } probe begin { f() }').stderr, /only be used in probes/);
});

test('process("PATH").begin, .end, .syscall, .thread.*, .insn: a located error that says what to use instead; optional, it is skipped', async (t) => {
	const p = await localProfile();
	const begin = elaborate(p, 'probe process("/bin/true").begin { }');
	t.is(begin.program, null);
	t.regex(begin.stderr, /^semantic error: process\("\/bin\/true"\)\.begin: probes of one program's or process's begin are not supported by tapfleet; use process\.begin \(every process's\) with a condition on execname\(\) or pid\(\): identifier 'begin' at <input>:1:28$/m);
	t.regex(elaborate(p, 'probe process(1).syscall { }').stderr, /use syscall\.\* or kernel\.trace\("raw_syscalls:sys_enter"\) \(every process's\)[^\n]*identifier 'syscall' at <input>:1:18$/m);
	t.regex(elaborate(p, 'probe process(1).insn { }').stderr, /process\(1\)\.insn: probes of one program's or process's insn are not supported by tapfleet: identifier 'insn' at <input>:1:18$/m);
	const optional = elaborate(p, 'probe process("/bin/true").end ?, end { }');
	t.is(optional.stderr, '');
	t.deepEqual(optional.program!.probes.map((x) => x.point), ['end']);
});

test('kernel.function on a kernel without kprobes: a clear message, not a crash', async (t) => {
	const r = elaborate(await localProfile(), 'probe kernel.function("vfs_read") { }');
	t.is(r.program, null);
	t.regex(r.stderr, /semantic error: kernel\.function probes need kprobes, which kernel \S+ does not have/);
	t.regex(r.stderr, /use a tracepoint instead/);
});

test('a script without probes: no probes found', async (t) => {
	t.is(elaborate(await localProfile(), 'function f() { return 1 }').stderr, 'semantic error: no probes found\n\n');
});

test('delete of a global before any use: decided by its later uses (an array, a scalar); with no use at all, a located error', async (t) => {
	const p = await localProfile();
	const arr = elaborate(p, 'global seen function mark(k) { seen[k] = 1 } probe begin { delete seen; mark(1); exit() }');
	t.is(arr.stderr, '');
	// what each delete of the probe's body (its alias parts are blocks) takes
	const deletes = (ss: readonly Stmt[]): string[] => ss.flatMap((s) => (s.kind === 'block' ? deletes(s.statements) : s.kind === 'delete' ? [s.target.kind] : []));
	t.deepEqual(deletes(arr.program!.probes[0]!.body.statements), ['array']);
	const scalar = elaborate(p, 'global n probe begin { delete n; n = 2; println(n); exit() }');
	t.is(scalar.stderr, '');
	t.deepEqual(deletes(scalar.program!.probes[0]!.body.statements), ['var']);
	const unused = elaborate(p, 'global x probe begin { delete x; exit() }');
	t.is(unused.program, null);
	t.regex(unused.stderr, /^semantic error: unresolved array in delete statement: identifier 'x' at <input>:1:31\n/);
});

// stap's semantic_pass_vars (elaborate.cxx no_var_mutation_during_iteration_check)
test('a foreach may not change the array it iterates: an element written, incremented, added to or deleted in the body, or by a function the body calls, as stap says it', async (t) => {
	const p = await localProfile();
	const error = (script: string) => elaborate(p, `global a, s, b ${script} probe end { a[1] = 1; s[1] <<< 1; b[1] = 1 }`).stderr.split('\n')[0];
	t.is(error('probe begin { foreach (k in a) a[k] = 2 }'), "semantic error: variable 'a' modified during 'foreach' iteration: identifier 'a' at <input>:1:47");
	t.is(error('probe begin { foreach (k in a) a[k]++ }'), "semantic error: variable 'a' modified during 'foreach' iteration: identifier 'a' at <input>:1:47");
	t.is(error('probe begin { foreach (k in a) delete a[k] }'), "semantic error: variable 'a' modified during 'foreach' iteration: identifier 'a' at <input>:1:54");
	t.is(error('probe begin { foreach (k in s) s[k] <<< 2 }'), "semantic error: variable 's' modified during 'foreach' iteration: identifier 's' at <input>:1:47");
	t.is(error('probe begin { foreach ([k] in a-) { foreach (j in b) a[j] = 0 } }'), "semantic error: variable 'a' modified during 'foreach' iteration: identifier 'a' at <input>:1:69");
	t.is(error('function f() { a[2] = 1 } probe begin { foreach (k in a) f() }'), "semantic error: function call modifies var 'a' during 'foreach' iteration: identifier 'f' at <input>:1:73");
	// in a function's own foreach too
	t.is(error('function g() { foreach (k in a) delete a[k] } probe begin { g() }'), "semantic error: variable 'a' modified during 'foreach' iteration: identifier 'a' at <input>:1:55");
	// allowed: another array, the whole array deleted, reading, and what a function's callees do (stap looks one call deep)
	for (const ok of [
		'probe begin { foreach (k in a) b[k] = a[k] + 1 }',
		'probe begin { foreach (k in a) delete a }',
		'function inner() { a[3] = 1 } function outer() { inner() } probe begin { foreach (k in a) outer() }',
		'probe begin { foreach (k in a) { x = a[k]; println(x) } a[2] = 2 }',
	]) t.is(error(ok), '', ok);
});

test('@hist_linear with an interval of zero or buckets beyond stap\'s 128 (underflow and overflow included): refused where it is written, with stap\'s words (SystemTap\'s linear_0.stp: the generated C divided by zero)', async (t) => {
	const p = await localProfile();
	const hist = (params: string) => elaborate(p, `global a probe begin { a <<< 1; print(@hist_linear(a, ${params})) }`);
	t.regex(hist('0, 1500, 0').stderr, /^semantic error: histogram: interval cannot be zero: operator '@hist_linear' at <input>:1:39\n/);
	t.regex(hist('0, 1260, 10').stderr, /^semantic error: histogram: Number of buckets must be between 1 and 126: here 127, \(stop - start\) \/ interval \+ 1;/);
	t.regex(hist('10, 0, 1').stderr, /here -9, /);
	// at the edges: 126 buckets and 0
	t.is(hist('0, 1250, 10').stderr, '');
	t.is(hist('0, 0, 1').stderr, '');
});
