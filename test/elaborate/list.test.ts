// `tapfleet list` / `list -L` against this host's profile, in process and
// through the real command line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { listProbes } from '../../controller/elaborate/list.js';
import { elaborate, localProfile, withKprobes } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
	const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli/main.js'), ...args], { encoding: 'utf8', timeout: 60000 });
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test("list 'syscall.*': every syscall with a tracepoint here, once, sorted, by stap's names (syscall.fstat for sys_enter_newfstat)", async (t) => {
	const p = await localProfile();
	const stapNames: Record<string, string> = { newfstat: 'fstat', newstat: 'stat', newlstat: 'lstat', newfstatat: 'fstatat', newuname: 'uname', sendfile64: 'sendfile' };
	const names = p.tracepoints.filter((tp) => tp.system === 'syscalls' && tp.name.startsWith('sys_enter_'))
		.map((tp) => 'syscall.' + (stapNames[tp.name.slice(10)] ?? tp.name.slice(10))).sort();
	t.true(names.includes('syscall.fstat') && names.includes('syscall.uname') && !names.includes('syscall.newfstat'));
	const r = listProbes('syscall.*', p, false);
	t.true(r.ok);
	const lines = r.stdout.trimEnd().split('\n');
	t.true(lines.length >= 200, `${lines.length} syscalls`);
	t.deepEqual(lines, names);
	t.is(listProbes('syscall.*.return', p, false).stdout.split('\n').length - 1,
		p.tracepoints.filter((tp) => tp.system === 'syscalls' && tp.name.startsWith('sys_exit_')).length);
});

test('list -L shows alias locals and target variables with types', async (t) => {
	const p = await localProfile();
	t.is(listProbes('syscall.openat', p, true).stdout,
		'syscall.openat name:string dfd:long filename_uaddr:long filename:string flags:long mode:long argstr:string filename_unquoted:string'
		+ ' $dfd:int $filename:const char * $flags:int $mode:umode_t\n');
	const sw = listProbes('kernel.trace("sched:sched_switch")', p, true).stdout;
	// TP_PROTO's arguments (from the kernel's BTF) as stap lists them, then the format file's fields;
	// an argument with a field's name ($prev_state) is listed once, as the field.
	t.regex(sw, /^kernel\.trace\("sched:sched_switch"\) (\$\w+:\S+ )*\$prev:struct task_struct \* \$next:struct task_struct \* \$prev_comm:char\[16\] \$prev_pid:pid_t /);
	t.is(sw.match(/\$prev_state:/g)?.length, 1);
	t.regex(listProbes('kernel.trace("sched:sched_process_exec")', p, true).stdout, / \$p:struct task_struct \* \$bprm:struct linux_binprm \* .*\$filename:/);
	const noBtf = listProbes('kernel.trace("sched:sched_switch")', { ...p, btf: { present: false } }, true).stdout;
	t.regex(noBtf, /^kernel\.trace\("sched:sched_switch"\) \$prev_comm:char\[16\] /, 'without BTF: the fields');
	t.regex(listProbes('syscall.read.return', p, true).stdout, /^syscall\.read\.return name:string retval:long retstr:string .*\$return:long/);
	t.regex(listProbes('kernel.trace("sched:*")', p, false).stdout, /kernel\.trace\("sched:sched_wakeup"\)\n/);
});

test('list kernel.function: a clear message without kprobes, a listing with them', async (t) => {
	const p = await localProfile();
	const no = listProbes('kernel.function("vfs_read")', p, false);
	t.false(no.ok);
	t.regex(no.stderr, /kernel\.function probes need kprobes, which kernel \S+ does not have/);
	const yes = listProbes('kernel.function("vfs_read")', withKprobes(p, ['vfs_read']), false);
	t.true(yes.ok, yes.stderr);
	t.is(yes.stdout, 'kernel.function("vfs_read")\n');
	// -L: the parameters from the BTF prototype, $return typed as the function returns
	const kp = withKprobes(p, ['vfs_read']);
	t.is(listProbes('kernel.function("vfs_read")', kp, true).stdout, 'kernel.function("vfs_read") $file:struct file * $buf:char * $count:size_t $pos:loff_t *\n');
	t.is(listProbes('kernel.function("vfs_read").return', kp, true).stdout,
		'kernel.function("vfs_read").return $file:struct file * $buf:char * $count:size_t $pos:loff_t * $return:ssize_t\n');
	// an alias's return probe that takes @entry values: its locals, not pass 2's entry probe or its own locals
	const vfs = listProbes('vfs.read.return', kp, true).stdout;
	t.regex(vfs, /^vfs\.read\.return name:string file:long .* bytes_read:long .*\$return:ssize_t\n$/);
	t.notRegex(vfs, /__tapfleet/);
});

test('a wildcard lists what this kernel has, as stap -l: aliases that need kprobes left out without them, listed with them; nothing at all is the error that says why', async (t) => {
	const p = await localProfile();
	const all = listProbes('*.*', p, false);
	t.true(all.ok, all.stderr);
	const names = all.stdout.trimEnd().split('\n');
	t.true(names.includes('scheduler.ctxswitch') && names.includes('softirq.entry'), all.stdout);
	t.false(names.includes('tcp.sendmsg'));
	t.true(listProbes('tcp.*', withKprobes(p, ['tcp_sendmsg']), false).stdout.split('\n').includes('tcp.sendmsg'));
	// only kprobe aliases match: the reason, not an empty list
	const tcp = listProbes('tcp.*', p, false);
	t.false(tcp.ok);
	t.regex(tcp.stderr, /kernel\.function probes need kprobes/);
	t.false(listProbes('nosuch.*', p, false).ok);
});

test('tapfleet list and compile -p2 on the command line, with --profile FILE', async (t) => {
	const p = await localProfile();
	const dir = mkdtempSync(path.join(tmpdir(), 'tapfleet-list-'));
	const file = path.join(dir, 'kprobes.json');
	writeFileSync(file, JSON.stringify(withKprobes({ ...p, btf: { present: false } }, ['vfs_read'])));
	const listed = cli(['list', '--profile', file, 'kernel.function("vfs_read").return', 'begin']);
	t.is(listed.status, 0, listed.stderr);
	t.is(listed.stdout, 'kernel.function("vfs_read").return\nbegin\n');
	const local = cli(['list', '--profile', file, '-L', 'syscall.close']);
	t.regex(local.stdout, /^syscall\.close name:string fd:long argstr:string \$fd:unsigned int\n$/);
	const bad = cli(['list', 'kernel.function("vfs_read")']);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /does not have/);
	t.notRegex(bad.stderr, /    at /);
	const p2 = cli(['compile', '-p2', '--profile', file, '-e', 'probe begin { println(execname()) exit() }']);
	t.is(p2.status, 0, p2.stderr);
	t.is(p2.stdout, '# functions\nexecname:string ()\nexit:unknown ()\n# probes\nbegin /* <- begin */\n');
	const err = cli(['compile', '-p2', '--profile', file, '-e', 'probe begin { a = 1; a = "s"; print(a) }']);
	t.is(err.status, 1);
	t.regex(err.stderr, /semantic error: type mismatch \(string\)[^]*Pass 2: analysis failed\.  \[man error::pass2\]\n$/);
	const missing = cli(['compile', '-p2', '--profile', path.join(dir, 'nope.json'), '-e', 'probe begin {}']);
	t.is(missing.status, 1);
	t.regex(missing.stderr, /^tapfleet compile: .*nope\.json/);
});

test('process("PATH").function("PAT"): uprobes from the ELF symbol table, PATH lookup, return probes', async (t) => {
	const p = await localProfile();
	const bash = realpathSync('/bin/bash');
	const r = listProbes('process("/bin/bash").function("read*")', p, false);
	t.true(r.ok, r.stderr);
	t.true(r.stdout.includes(`process("${bash}").function("readline")\n`));
	t.true(r.stdout.split('\n').filter(Boolean).every((l) => /^process\(".*"\)\.function\("read[^"]*"\)$/.test(l)));
	const e = elaborate(p, 'probe process("bash").function("readline").return { println($return) }');
	t.is(e.stderr, '');
	const ev = e.program!.probes[0]!.event;
	t.like(ev, { kind: 'uprobe', path: bash, symbol: 'readline', isReturn: true });
	t.true(ev.kind === 'uprobe' && ev.offset > 0n);
	t.regex(elaborate(p, 'probe process("/nonexistent/x").function("f") { }').stderr, /cannot read the symbols of '\/nonexistent\/x'/);
	// a bare name is looked up on $PATH only (not in the current directory)
	t.regex(elaborate(p, 'probe process("no-such-program-xyz").function("f") { }').stderr, /semantic error: cannot find executable 'no-such-program-xyz' in \$PATH: identifier 'process' at <input>:1:7\n/);
});
