// Probe kinds of the kmod runtime proven in the VM through the agent over
// gRPC, registered into another test file's boot (conformance.test.ts) so
// that they cost no boot of their own: uprobes (process(...).function and
// .return, with $argN and $return; SDT markers; a file missing on the
// target), and
// ordinary tracepoints read both ways: the event's fields ($filename,
// $next_pid, $prev_comm) and the TP_PROTO arguments with member chains
// resolved from the target's BTF ($bprm->filename, $next->comm); procfs
// probes' files in /proc/systemtap/MODULE, read and written by the guest.
//
// Each script is compiled first, then run while the test starts a
// workload in the guest every few seconds until the script has seen it
// and exited (the first ones may come before its probes are registered).
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSdtDemo, sdtDemoExpected, sdtDemoScript } from '../run/sdt-demo.js';
import { guestExec } from '../vm/vm-host.js';
import { repoRoot } from '../../controller/build/toolchain.js';
import type { RunResult, VmFleet } from './vm-agent.js';

/** Node under a name of its own: its execs and its comm are the test's. */
const NODE = '/tmp/tapfleet-node';
/**
 * Pass 2 resolves a process(...) path here, canonically: libc is
 * /usr/lib/x86_64-linux-gnu/libc.so.6 on this machine (merged /usr). The
 * guest has the same file at /lib/...; a link gives it this machine's path.
 */
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

async function guestSetup(fleet: VmFleet): Promise<void> {
	const r = await guestExec(fleet.shellPort, ['sh', '-c',
		`ln -sf /usr/bin/node ${NODE} && mkdir -p /usr/lib/x86_64-linux-gnu && ln -sf /lib/x86_64-linux-gnu/libc.so.6 ${LIBC}`]);
	if (r.status !== 0) throw new Error(`guest setup: ${r.stderr}`);
}

/**
 * Compiles `script` for the VM, runs it there, and runs `workload` in the
 * guest every 2 s until the run ends; returns the run, the pids the
 * workloads printed and each workload's whole output.
 */
async function runWithWorkload(fleet: VmFleet, release: string, script: string, workload: string, compileOptions: string[] = []): Promise<{ run: RunResult; pids: number[]; outputs: string[] }> {
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release, ...compileOptions, '-e', script]);
	if (built.status !== 0) throw new Error(`compile: ${built.stderr}`);
	let done = false;
	const running = fleet.run(['--module', built.stdout.trim()], 300_000).finally(() => (done = true));
	const pids: number[] = [];
	const outputs: string[] = [];
	for (let runs = 0; runs < 60 && !done; ) {
		// Only once the module's probes are all registered (its control file says
		// RUNNING): a process that ran while they were being registered could hit
		// its later probes and not its first ones (seen once in CI).
		const ready = await guestExec(fleet.shellPort, ['sh', '-c', 'grep -qs "^state=1 .* started=1$" /proc/tapfleet_*/ctl'], 120_000);
		if (ready.status !== 0) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			continue;
		}
		runs++;
		const w = await guestExec(fleet.shellPort, ['sh', '-c', workload], 120_000);
		outputs.push(w.stdout.toString());
		const pid = Number(w.stdout.toString().trim());
		if (pid > 0) pids.push(pid);
		if (!done) await new Promise((resolve) => setTimeout(resolve, 2000));
	}
	return { run: await running, pids, outputs };
}

/** A program built here from a fixture (gcc `flags`), copied to the same path in the guest (pass 2 reads it here); its path. */
async function programInGuest(fleet: VmFleet, fixture: string, flags: readonly string[]): Promise<string> {
	const name = fixture.replace(/^.*\//, '').replace(/\.c$/, '');
	const prog = join(mkdtempSync(join(tmpdir(), `tapfleet-${name}-kmod-`)), name);
	execFileSync('gcc', [...flags, '-Wall', '-Werror', '-o', prog, join(repoRoot, 'test/fixtures', fixture)]);
	await copyToGuest(fleet, prog);
	return prog;
}

/** A file of this machine at the same path in the guest. */
async function copyToGuest(fleet: VmFleet, file: string): Promise<void> {
	const copy = await guestExec(fleet.shellPort, ['sh', '-c',
		`mkdir -p ${dirname(file)} && echo ${readFileSync(file).toString('base64')} | base64 -d > ${file} && chmod +x ${file}`]);
	if (copy.status !== 0) throw new Error(`copying ${file} to the guest: ${copy.stderr}`);
}

/** Compiles `script` for the VM's kernel (kmod) and runs it there once. */
async function compileAndRun(fleet: VmFleet, release: string, script: string): Promise<RunResult> {
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release, '-e', script]);
	if (built.status !== 0) throw new Error(`compile: ${built.stderr}`);
	return fleet.run(['--module', built.stdout.trim()], 300_000);
}

/** The run printed exactly `pattern`, whose groups are all one pid of the workload's. */
function assertSawWorkload(t: ExecutionContext, got: { run: RunResult; pids: number[] }, pattern: RegExp): void {
	const { run, pids } = got;
	t.log(run.stdout.trim());
	t.is(run.status, 0, run.stderr);
	const m = pattern.exec(run.stdout);
	if (!m) return void t.fail(run.stdout + run.stderr);
	t.true(pids.includes(Number(m[1])), `${m[1]} is not one of the workload's pids ${pids}`);
	t.deepEqual(new Set(m.slice(1)), new Set([m[1]]));
}

export function probeKindTests(fleet: VmFleet, release: () => string): void {
	/** Compiles and runs `script` in the guest: status 0 and exactly `stdout`. */
	const printsExactly = async (t: ExecutionContext, script: string, stdout: string) => {
		const r = await compileAndRun(fleet, release(), script);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, stdout);
	};

	test.serial('kmod uprobes: process(libc).function("setpriority") and .return see $arg1-3, $return, execname() and pid() of a process in the guest', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		const script = `probe process("${LIBC}").function("setpriority") {
	printf("setpriority(%d, %d, %d) in %s[%d]\\n", $arg1, $arg2, $arg3, execname(), pid())
}
probe process("${LIBC}").function("setpriority").return {
	printf("returned %d in %d\\n", $return, pid())
	exit()
}`;
		// Node's os.setPriority is libuv's uv_os_setpriority: setpriority(PRIO_PROCESS, pid, prio)
		const got = await runWithWorkload(fleet, release(), script,
			`exec ${NODE} -e 'require("os").setPriority(process.pid, 7); console.log(process.pid)'`);
		assertSawWorkload(t, got, /^setpriority\(0, (\d+), 7\) in tapfleet-node\[(\d+)\]\nreturned 0 in (\d+)\n$/);
	});

	test.serial('kmod kernel.function parameters by name from the BTF: $dfd, $filename (also through user_string_n), $how->flags of do_sys_openat2, their entry values and $$parms at its return, $file->f_path->dentry->d_name->name (also through kernel_string_n) and $count of vfs_read, and pn(), HZ(), jiffies(), num_online_cpus(), in a process in the guest', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		const script = `global opener, opened
probe kernel.function("do_sys_openat2") {
	if (!opener && execname() == "tapfleet-node" && user_string($filename) == "/proc/version") {
		opener = tid()
		printf("open(%d, %s, %d) in %d %s\\n", $dfd, user_string($filename), $how->flags & 3, pid(), user_string_n($filename, 5))
	}
}
probe kernel.function("do_sys_openat2").return {
	if (opener && !opened && tid() == opener) {
		opened = 1
		printf("returned %d for %s (%d) in %d: %s\\n", $return >= 0, user_string($filename), $dfd, pid(),
			$$parms =~ "^dfd=0xffffffffffffff9c filename=0x[0-9a-f]+ how=0x[0-9a-f]+$" ? "parms" : $$parms)
	}
}
probe kernel.function("vfs_read") {
	if (opened && tid() == opener && kernel_string($file->f_path->dentry->d_name->name) == "version") {
		printf("read %s %s %d in %d %s %d %d\\n", kernel_string($file->f_path->dentry->d_name->name), kernel_string_n($file->f_path->dentry->d_name->name, 3), $count > 0, pid(), pn(), HZ(), jiffies() > 0 && num_online_cpus() > 0)
		exit()
	}
}`;
		const got = await runWithWorkload(fleet, release(), script,
			`exec ${NODE} -e 'require("fs").readFileSync("/proc/version"); console.log(process.pid)'`);
		assertSawWorkload(t, got, /^open\(-100, \/proc\/version, 0\) in (\d+) \/proc\nreturned 1 for \/proc\/version \(-100\) in (\d+): parms\nread version ver 1 in (\d+) kernel\.function\("vfs_read"\) 250 1\n$/);
	});

	test.serial('kmod: the vfs tapset (vfs.read.return, vfs.write.return: bytes_read, bytes_written, bytes_to_write, dev, ino, devname, name), returnval(), MAJOR(), MINOR() and usrdev2kerndev() against stat(1) in the guest', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		// a file of 13 bytes, and its inode and device as stat(1) sees them (st_dev: user space's encoding)
		const st = await guestExec(fleet.shellPort, ['sh', '-c', "printf 'hello, vfs!!\\n' > /tmp/tf-vfs-file && stat -c '%i %d' /tmp/tf-vfs-file"]);
		t.is(st.status, 0, st.stderr.toString());
		const [ino, udev] = st.stdout.toString().trim().split(' ').map(Number) as [number, number];
		const major = (udev >> 8) & 0xfff;
		const minor = (udev & 0xff) | ((udev >> 12) & 0xfff00);
		const script = `global r, w
probe vfs.read.return {
	if (!r && execname() == "tapfleet-node" && ino == ${ino} && bytes_read > 0) {
		r = 1
		printf("read %s %d %d %d:%d %s %s\\n", name, bytes_read, returnval(), MAJOR(dev), MINOR(dev), usrdev2kerndev(${udev}) == dev ? "same" : "differs", devname)
	}
}
probe vfs.write.return {
	if (r && !w && execname() == "tapfleet-node" && bytes_to_write == 13) {
		w = 1
		printf("write %s %d of %d%s\\n", name, bytes_written, bytes_to_write, error_str)
		exit()
	}
}`;
		const got = await runWithWorkload(fleet, release(), script,
			`exec ${NODE} -e 'const fs = require("fs"); fs.readFileSync("/tmp/tf-vfs-file"); fs.writeFileSync("/tmp/tf-vfs-out", "hello again\\n!"); console.log(process.pid)'`);
		t.is(got.run.status, 0, got.run.stderr);
		// the guest's root is an initramfs: no block device behind it
		t.is(got.run.stdout, `read vfs.read 13 13 ${major}:${minor} same N/A\nwrite vfs.write 13 of 13\n`);
	});

	test.serial('kmod: warn() is a WARNING on standard error and the probe goes on; log() a line of output; target() without -x is 0, as stap\'s', async (t) => {
		t.timeout(900_000);
		const run = await compileAndRun(fleet, release(), 'probe begin { warn(sprintf("careful %d", 7)); log("after"); println(target()); exit() }');
		t.is(run.status, 0, run.stderr);
		t.is(run.stdout, 'after\n0\n');
		t.regex(run.stderr, /^WARNING: careful 7$/m);
	});

	test.serial('kmod through an agent: run --host VM -x PID makes target() a process of the guest, in the begin probe and in its system calls', async (t) => {
		t.timeout(900_000);
		// a shell of the guest that makes system calls until killed
		const started = await guestExec(fleet.shellPort, ['sh', '-c', '(while :; do sleep 0.1; done) >/dev/null 2>&1 & echo $!']);
		const pid = Number(started.stdout.toString().trim());
		t.true(pid > 0, started.stdout.toString());
		try {
			const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release(), '-e',
				'probe begin { printf("target %d\\n", target()) } probe kernel.trace("sched:sched_process_fork") { if (pid() == target()) { println("forked"); exit() } }']);
			t.is(built.status, 0, built.stderr);
			const run = await fleet.run(['--module', built.stdout.trim(), '-x', String(pid)], 300_000);
			t.is(run.status, 0, run.stderr);
			t.is(run.stdout, `target ${pid}\nforked\n`);
		} finally {
			await guestExec(fleet.shellPort, ['kill', String(pid)]);
		}
	});

	test.serial('kmod kernel stacks: print_backtrace() from a kprobe\'s registers (the probed function first), backtrace() as a key, print_stack() and sprint_stack() of it in the end probe; sprint_backtrace(), callers(n), stack(n); &$file->f_pos; probemod(); a run-time index', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		const script = `global bt, seen, simple, first, second, deep, addressed
probe kernel.function("vfs_read") {
	if (!seen && execname() == "tapfleet-node") {
		seen = 1
		print_backtrace()
		bt[backtrace()]++
		simple = sprint_backtrace(); first = callers(1); second = stack(1)
		addressed = kernel_long(&$file->f_pos) == $file->f_pos && &$file->f_pos == &@cast($file, "file")->f_pos && probemod() == "kernel"
		j = 1
		addressed = addressed && $file->f_path->dentry->d_name->name[j] == kernel_char($file->f_path->dentry->d_name->name + j)
		try { stack(30) } catch (m) { deep = m }
		println("--")
		printf("%s|%s\\n", symdata(addr()), modname(addr()))
		exit()
	}
}
probe end { foreach (b in bt) { print_stack(b); println("--"); print(sprint_stack(b)); println("--"); print(simple); printf("--\\n%s\\n%s\\n0x%x\\n%s\\n%d\\n", b, first, second, deep, addressed) } }`;
		const got = await runWithWorkload(fleet, release(), script, `exec ${NODE} -e 'require("fs").readFileSync("/proc/version"); console.log(process.pid)'`);
		t.is(got.run.status, 0, got.run.stderr);
		// print_backtrace(), "--", symdata()|modname() and print_stack() (the end probe), "--", sprint_stack()
		const [direct, rest, sprinted, simple, tail] = got.run.stdout.split('--\n');
		const symdata = rest!.slice(0, rest!.indexOf('\n') + 1);
		const named = rest!.slice(symdata.length);
		t.regex(symdata, /^vfs_read\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\|kernel\n$/);
		t.regex(direct!, /^ 0x[0-9a-f]{16} : vfs_read\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\n(?: 0x[0-9a-f]{16} : \S+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]\n)+$/, got.run.stdout);
		t.true(direct!.includes(' : ksys_read+'), direct);
		t.is(named, direct);
		// whole lines, as many as MAXSTRINGLEN (512) holds
		t.true(sprinted!.length > 0 && sprinted!.length < 512 && direct!.startsWith(sprinted!) && sprinted!.endsWith('\n'), sprinted);
		// sprint_backtrace(): the same frames in stap's simple form (no address, no size), whole lines within MAXSTRINGLEN
		const simpleOf = (line: string): string => line.replace(/^ 0x[0-9a-f]+ : (\S+)\/0x[0-9a-f]+ (\[\w+\])$/, '$1 $2');
		const expected = direct!.split('\n').filter(Boolean).map(simpleOf);
		const simpleLines = simple!.split('\n').filter(Boolean);
		t.regex(simple!, /^vfs_read\+0x[0-9a-f]+ \[kernel\]\n(?:\S+\+0x[0-9a-f]+ \[kernel\]\n)+$/, simple);
		t.deepEqual(simpleLines, expected.slice(0, simpleLines.length));
		// callers(1) and stack(1): backtrace()'s first two addresses and its second; stack(30): stap's error
		const [hex, first, second, deep, addressed] = tail!.split('\n');
		const addrs = hex!.split(' ');
		t.is(first, `${addrs[0]} ${addrs[1]}`);
		t.is(second, addrs[1]);
		t.is(deep, 'reached end of stack before unwinding to level 30');
		// &$file->f_pos: the member's address, as @cast's; reading it gives the member
		t.is(addressed, '1');
	});

	test.serial('kmod user stacks: print_ubacktrace() and its brief form, ubacktrace() with print_ustack()/sprint_ustack(), sprint_ubacktrace(), usymname()/usymdata()/umodname(), ucallers(n)/ustack(n) in a uprobe; print_ubacktrace() from a syscall of the same program; frames named from the symbols the module carries for the probed file', async (t) => {
		t.timeout(900_000);
		// built here with frame pointers (the walk follows them), copied to the same path in the guest
		const prog = await programInGuest(fleet, 'ustack/nested.c', ['-O1', '-g', '-fno-omit-frame-pointer']);
		const script = `global seen
probe process("${prog}").function("inner") {
	print_ubacktrace(); println("--"); print_ubacktrace_brief(); println("--")
	s = ubacktrace(); println(s); print_ustack(s); println("--"); print(sprint_ustack(s)); println("--")
	print(sprint_ubacktrace()); println("--")
	printf("%s|%s|%s\\n", usymname(uaddr()), usymdata(uaddr()), umodname(uaddr()))
	try { println(umodname(0)) } catch (m) { println(m) }
	printf("%s\\n0x%x\\n", ucallers(1), ustack(2))
	println("--")
	seen = 1
}
probe syscall.getppid { if (seen && execname() == "nested") { print_ubacktrace(); exit() } }`;
		const got = await runWithWorkload(fleet, release(), script, prog);
		t.is(got.run.status, 0, got.run.stderr);
		const [full, brief, hexAndNamed, sprinted, simple, symbols, fromSyscall] = got.run.stdout.split('--\n');
		const file = prog.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
		const frame = (fn: string) => ` 0x[0-9a-f]+ : ${fn}\\+0x[0-9a-f]+/0x[0-9a-f]+ \\[${file}\\]\n`;
		// inner, outer, main named from the program's table; main's caller in libc, whose table the module does not carry
		t.regex(full!, new RegExp(`^${frame('inner')}${frame('outer')}${frame('main')} 0x[0-9a-f]+ \\[(?:/usr)?/lib/x86_64-linux-gnu/libc\\.so\\.6\\+0x[0-9a-f]+\\]\n`), full);
		t.regex(brief!, /^inner\+0x[0-9a-f]+\nouter\+0x[0-9a-f]+\nmain\+0x[0-9a-f]+\n0x[0-9a-f]+\n/, brief);
		// ubacktrace(): the same frames' addresses; print_ustack() names them as print_ubacktrace() did
		const [hex, ...named] = hexAndNamed!.split('\n');
		t.regex(hex!, /^0x[0-9a-f]+( 0x[0-9a-f]+)+$/);
		t.is(named.join('\n'), full);
		t.deepEqual(hex!.split(' '), full!.split('\n').filter(Boolean).map((l) => l.trim().split(' ')[0]));
		// sprint_ustack(): whole lines within MAXSTRINGLEN; sprint_ubacktrace(): stap's simple form
		t.true(sprinted!.length > 0 && sprinted!.length < 512 && full!.startsWith(sprinted!), sprinted);
		t.regex(simple!, new RegExp(`^inner\\+0x[0-9a-f]+ \\[${file}\\]\nouter\\+0x[0-9a-f]+ \\[${file}\\]\nmain\\+0x[0-9a-f]+ \\[${file}\\]\n0x[0-9a-f]+ \\[(?:/usr)?/lib/x86_64-linux-gnu/libc\\.so\\.6\\+0x[0-9a-f]+\\]\n`), simple);
		// usymname(), usymdata(), umodname() of the probed address; an address nothing maps: stap's error
		t.regex(symbols!, new RegExp(`^inner\\|inner\\+0x0/0x[0-9a-f]+ \\[${file}\\]\\|${file}\nmodule cannot be found\n`), symbols);
		// ucallers(1) and ustack(2): ubacktrace()'s first two addresses and its third
		const hexes = hex!.split(' ');
		t.deepEqual(symbols!.split('\n').slice(2, 4), [`${hexes[0]} ${hexes[1]}`, hexes[2]]);
		// from the kernel: the task's registers saved at the syscall; getppid()'s libc wrapper keeps no frame, so
		// the walk goes from it to inner's caller, as perf's (and bpf_get_stack()'s) walk does
		t.regex(fromSyscall!, new RegExp(`^ 0x[0-9a-f]+ \\[(?:/usr)?/lib/x86_64-linux-gnu/libc\\.so\\.6\\+0x[0-9a-f]+\\]\n${frame('outer')}${frame('main')}`), fromSyscall);
	});

	test.serial('kmod user stacks in timer.profile (interrupts off: the mappings\' lock released by an irq_work): sprint_ubacktrace() of samples in a busy program, named from the symbols the module carries for it (-d)', async (t) => {
		t.timeout(900_000);
		const prog = await programInGuest(fleet, 'ustack/spin.c', ['-O1', '-g', '-fno-omit-frame-pointer']);
		// -d: the module carries the program's symbols, which no probe of the script names
		const script = `global n, named, first
probe timer.profile {
	if (execname() != "spin" || !user_mode()) next
	n++
	s = sprint_ubacktrace()
	if (isinstr(s, "spin+") && isinstr(s, "work+") && isinstr(s, "main+") && !named++) first = s
	if (n >= 20) { printf("%d %d\\n%s", n, named, first); exit() }
}`;
		const got = await runWithWorkload(fleet, release(), script, `${prog} 50000000`, ['-d', prog]);
		t.is(got.run.status, 0, got.run.stderr);
		const [counts, ...lines] = got.run.stdout.split('\n');
		const [n, named] = counts!.split(' ').map(Number);
		// a sample may land in the dynamic loader or the C library, or in spin's first instructions (its frame not
		// made yet: work is skipped); most are in spin's loop, called from work, from main
		t.is(n, 20, got.run.stdout);
		t.true(named! >= 10, got.run.stdout);
		const file = prog.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
		t.regex(lines.join('\n'), new RegExp(`^spin\\+0x[0-9a-f]+ \\[${file}\\]\nwork\\+0x[0-9a-f]+ \\[${file}\\]\nmain\\+0x[0-9a-f]+ \\[${file}\\]\n`), got.run.stdout);
	});

	test.serial('kmod uprobes: a program\'s parameters by name from its DWARF, typed, with $$parms and entry values and the typed $return at its return, members of a struct parameter read from its memory, in a program in the guest', async (t) => {
		t.timeout(900_000);
		// built here (pass 2 reads its DWARF), copied to the same path in the guest
		const prog = await programInGuest(fleet, 'dwarf/params.c', ['-O2', '-g']);
		const script = `probe process("${prog}").function("mixed") { printf("%d %s %d %d %d %d\\n", $count, user_string($name), $flag, $wide, $c, $s); println($$parms) }
probe process("${prog}").function("mixed").return { printf("%d = mixed(%d, %s)\\n", $return, $count, user_string($name)) }
probe process("${prog}").function("handle") {
	printf("%d %s %d %s %d\\n", $req->id, user_string($req->path), $req->hdr->len, $req->hdr->tag, $req->next->id)
	try { println($req->next->next->id) } catch (msg) { println(msg) }
	exit()
}`;
		const got = await runWithWorkload(fleet, release(), script, prog);
		t.is(got.run.status, 0, got.run.stderr);
		t.regex(got.run.stdout, /^-7 hello 200 -5000000000 -1 -3\ncount=0xfffffffffffffff9 name=0x[0-9a-f]+ scale=\? flag=0xc8 wide=0xfffffffed5fa0e00 c=0xffffffffffffffff s=0xfffffffffffffffd\n-705032409 = mixed\(-7, hello\)\n1 \/one 10 first 2\nread fault \[man error::fault\] at 0x0\n$/);
	});

	test.serial('kmod SDT markers: process(...).mark() with $arg1-4 (memory, registers, constants), $$name, $$provider, $$parms and the semaphore raised, in a program in the guest', async (t) => {
		t.timeout(900_000);
		// built here (pass 2 reads its notes), copied to the same path in the guest
		const demo = buildSdtDemo(mkdtempSync(join(tmpdir(), 'tapfleet-sdt-')));
		await copyToGuest(fleet, demo);
		const got = await runWithWorkload(fleet, release(), sdtDemoScript(demo), `${demo} 2`);
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, sdtDemoExpected(demo));
		t.true(got.outputs.some((o) => o.includes('raised 2 of 2')), got.outputs.join(''));
	});

	test.serial('kmod: errno_str(), errno_p() and return_str() as stap\'s errno tapset; syscall_name()', async (t) => {
		t.timeout(900_000);
		const script = 'probe begin { printf("[%s] [%s] [%s] %d %d %s|%s [%s] [%s] [%s]\\n", errno_str(2), errno_str(-131), errno_str(132), errno_p(-13), errno_p(0), return_str(1, -22), return_str(2, 255), syscall_name(0), syscall_name(59), syscall_name(-1)) exit() }';
		await printsExactly(t, script, '[ENOENT] [ENOTRECOVERABLE] [] 13 0 -22 (EINVAL)|0xff [read] [execve] []\n');
	});

	test.serial('kmod: ppid(), pexecname(), euid(), egid(), ktime_get_ns(), randint(), user_long(), ctime(), toupper(), tolower() and task_*() (an unreadable address: 0) in a session probe; randint()\'s range checked', async (t) => {
		t.timeout(900_000);
		const script = 'probe begin { printf("%d %d %d %d %d %d %d %s|%s\\n", ppid() > 0, pexecname() != "", euid(), egid(), ktime_get_ns() > 0, randint(10) < 10, user_long(0), ctime(0), ctime(951782400)) printf("%s|%s\\n", toupper("ab1"), tolower("CD2")) t = task_current() printf("%d %d %d %d %d [%s]\\n", task_pid(t) > 0, task_tid(t) > 0, task_parent(t) != 0, task_nice(t) >= -20, task_pid(12345), task_execname(4096)) println(randint(2000000)) }';
		const r = await compileAndRun(fleet, release(), script);
		t.is(r.stdout, '1 1 0 0 1 1 0 Thu Jan  1 00:00:00 1970|Tue Feb 29 00:00:00 2000\nAB1|cd2\n1 1 1 1 0 []\n');
		t.regex(r.stderr, /ERROR: range too wide/);
	});

	test.serial('kmod: @entry() on a syscall return and a uprobe return, as on bpf', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		// the read's line first: a workload that began before the probes were in may show only its setpriority
		const script = `global reads
probe syscall.read.return { if (@entry($count) == 3 && $return == 3) { reads++; printf("read(%d) = %d, %s\\n", @entry($count), $return, gettimeofday_ns() >= @entry(gettimeofday_ns()) ? "later" : "earlier") } }
probe process("${LIBC}").function("setpriority").return { if (reads) { printf("setpriority(%d, pid, %d) = %d\\n", @entry($arg1), @entry($arg3), $return); exit() } }`;
		const got = await runWithWorkload(fleet, release(), script,
			`busybox dd if=/proc/version of=/dev/null bs=3 count=1 2>/dev/null; exec ${NODE} -e 'require("os").setPriority(process.pid, 5)'`);
		t.is(got.run.status, 0, got.run.stderr);
		t.regex(got.run.stdout, /^(read\(3\) = 3, later\n)+setpriority\(0, pid, 5\) = 0\n$/, got.run.stdout);
	});

	test.serial('kmod: addr() and symname() of timer.profile samples (kernel functions by name, module ones without their [module]), uaddr() and addr() in a uprobe, 0 in begin', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		const script = `global names, n, uprobe
probe timer.profile { if (!user_mode()) { names[symname(addr())]++; if (++n >= 20 && uprobe) exit() } }
probe process("${LIBC}").function("setpriority") { uprobe = addr() == uaddr() && addr() != 0 }
probe begin { printf("begin: %d %d\\n", addr(), uaddr()) }
probe end {
	foreach (f in names) { if (substr(f, 0, 2) != "0x") named++; if (isinstr(f, " ")) spaced++ }
	printf("named: %s; with a space: %d; uprobe: %d; unknown: %s\\n", named > 0 ? "yes" : "no", spaced, uprobe, symname(0))
}`;
		const got = await runWithWorkload(fleet, release(), script, `exec ${NODE} -e 'require("os").setPriority(process.pid, 3)'`);
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, 'begin: 0 0\nnamed: yes; with a space: 0; uprobe: 1; unknown: 0x0\n');
	});

	test.serial('kmod: =~ and !~ as on bpf, in a begin probe and at a syscall', async (t) => {
		t.timeout(900_000);
		const script = 'probe begin { printf("%d%d%d%d%d%d\\n", "hello.world" =~ "o\\\\.w", "helloxworld" =~ "o\\\\.w", "v5.10-rc1" =~ "^v[[:digit:]]+\\\\.[0-9]{1,2}(-rc[0-9]+)?$", "" =~ "^$", "abc" !~ "b", "tapfleet" =~ "^(tap|stap)fleet$") } probe syscall.execve { if (execname() =~ "^[a-z]") { println("kernel: matched"); exit() } }';
		// the guest's own activity may not exec anything: the test's workload does
		const got = await runWithWorkload(fleet, release(), script, 'busybox true');
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, '101101\nkernel: matched\n');
	});

	test.serial('kmod: @cast(ptr, "TYPE")->member through the kernel\'s BTF as on bpf: values, &, @defined, a fault caught; a self-comparison compiles', async (t) => {
		t.timeout(900_000);
		const script = 'global done probe syscall.getppid { if (!done++) { t = task_current();'
			+ ' printf("%d %d %d %d %d\\n", @cast(t, "task_struct")->pid == tid(), @cast(t, "struct task_struct", "kernel<linux/sched.h>")->real_parent->tgid == ppid(),'
			+ ' @cast(t, "task_struct")->comm == execname(), &@cast(0, "task_struct")->pid > 0, @defined(@cast(t, "task_struct")->nope));'
			+ ' try { println(@cast(8, "task_struct")->real_parent->pid) } catch { println("caught") } printf("%d\\n", t == t) exit() } }';
		const got = await runWithWorkload(fleet, release(), script, 'busybox sh -c true');
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, '1 1 1 1 0\ncaught\n1\n');
	});

	test.serial('kmod: syscalls by stap\'s names whose tracepoint is named otherwise: syscall.uname (sys_enter_newuname, __NR_uname) and syscall.fstatat (newfstatat), compiled and seen', async (t) => {
		t.timeout(900_000);
		const script = 'global u, f probe syscall.uname { u = 1 } probe syscall.fstatat { f = 1 } probe syscall.uname, syscall.fstatat { if (u && f) { printf("%s seen last\\n", name) exit() } }';
		const got = await runWithWorkload(fleet, release(), script, 'busybox stat / >/dev/null; busybox uname -r >/dev/null');
		t.is(got.run.status, 0, got.run.stderr);
		t.regex(got.run.stdout, /^(uname|fstatat) seen last\n$/);
	});

	test.serial('kmod: int_arg() and uint_arg() of a system call, at entry and at return (registers.stp), as on bpf', async (t) => {
		t.timeout(900_000);
		const script = 'global k probe syscall.kill { if (execname() == "busybox" && int_arg(2) == 0) { printf("kill %d %d\\n", uint_arg(1) == ppid(), int_arg(2)); k = 1 } }'
			+ ' probe syscall.kill.return { if (execname() == "busybox" && k) { printf("return %d %d\\n", int_arg(1) == ppid(), retval); exit() } }';
		// `; true`: the shell stays the parent (it does not exec its last command)
		const got = await runWithWorkload(fleet, release(), script, "busybox sh -c 'busybox kill -0 $$; true'");
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, 'kill 1 0\nreturn 1 0\n');
	});

	test.serial('kmod: process.syscall\'s $syscall and $arg1..$arg6 (the raw sys_enter tracepoint\'s registers), as on bpf', async (t) => {
		t.timeout(900_000);
		// 62: kill on x86_64
		const script = 'probe process.syscall { if (execname() == "busybox" && $syscall == 62 && $arg2 == 0) { printf("kill %d %d\\n", $arg1 == ppid(), $arg2); exit() } }';
		const got = await runWithWorkload(fleet, release(), script, "busybox sh -c 'busybox kill -0 $$; true'");
		t.is(got.run.status, 0, got.run.stderr);
		t.is(got.run.stdout, 'kill 1 0\n');
	});

	test.serial('kmod: tz_gmtoff(), tz_name() and tz_ctime(): the loader\'s time zone, passed as module parameters', async (t) => {
		t.timeout(900_000);
		const r = await compileAndRun(fleet, release(), 'probe begin { printf("%d %s %d\\n", tz_gmtoff(), tz_name(), tz_ctime(0) == ctime(0 - tz_gmtoff()) . " " . tz_name()) exit() }');
		t.is(r.status, 0, r.stderr);
		// the guest's agent runs without TZ: its C library's default zone
		t.regex(r.stdout, /^-?\d+ [A-Za-z0-9+-]+ 1\n$/);
	});

	test.serial('kmod: system() runs a command under /bin/sh -c from a session probe and a kernel-side one, its output the session\'s; exit() waits for it; tabs travel as spaces', async (t) => {
		t.timeout(900_000);
		const r = await compileAndRun(fleet, release(), 'global n probe begin { system("echo from-begin") } probe timer.ms(50) { if (!n++) system(sprintf("sleep 0.3;\\techo from-timer %d", n)) else if (n == 3) exit() }');
		t.is(r.status, 0, r.stderr);
		t.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['from-begin', 'from-timer 1']);
	});

	test.serial('kmod: pp() and ppfunc() in a function are the calling probe\'s, as on bpf', async (t) => {
		t.timeout(900_000);
		await printsExactly(t, 'function where() { return sprintf("%s|%s", pp(), ppfunc()) } probe begin { println(where()) } probe timer.ms(50) { println(where()) exit() } probe end { println(where()) }', 'begin|\ntimer.ms(50)|\nend|\n');
	});

	test.serial('kmod: the tapsets in the language: probe oneshot, pstrace() (in a begin probe too, where kmod runs it in the kernel), @this1, @cast_sizeof', async (t) => {
		t.timeout(900_000);
		await printsExactly(t, 'probe oneshot { @this1 = 7; p = pstrace(task_current()); printf("%d %d %d\\n", p =~ "^( [^()]+\\\\([0-9]+\\\\))+$", @this1, @cast_sizeof("struct list_head")) } probe end { println("end") }', '1 7 16\nend\n');
	});

	test.serial('kmod: stp_pid() (taprun, which loads the module and runs begin), tokenize() kept per context between calls, stringat() and its "Position out of bounds"', async (t) => {
		t.timeout(900_000);
		await printsExactly(t, 'probe begin { printf("%d %d %s|%s|%s|%s %d\\n", stp_pid() == pid(), stp_pid() > 1, tokenize("a  b c", " "), tokenize("", " "), tokenize("", " "), tokenize("", " "), stringat("xyz", 2))'
			+ ' try { println(stringat("ab", 2)) } catch (e) { println(e) } exit() }', '1 1 a|b|c| 122\nPosition out of bounds\n');
	});

	test.serial('kmod: a bitfield member through @cast (task_struct\'s in_execve, 0 outside an exec; sched_switch\'s $prev->in_iowait read where used), @defined of one', async (t) => {
		t.timeout(900_000);
		await printsExactly(t, 'probe begin { t = task_current(); printf("%d %d\\n", @cast(t, "task_struct", "kernel")->in_execve, @defined(@cast(t, "task_struct", "kernel")->in_iowait)) }'
			+ ' probe kernel.trace("sched:sched_switch") { if ($prev->in_iowait >= 0 && $prev->in_iowait <= 1) { println("in_iowait ok"); exit() } }', '0 1\nin_iowait ok\n');
	});

	test.serial('kmod: thread_indent() and indent() as on bpf', async (t) => {
		t.timeout(900_000);
		const r = await compileAndRun(fleet, release(), 'probe begin { printf("[%s]\\n", indent(3)) printf("[%s]\\n", indent(-3)) printf("[%s]\\n", thread_indent(2)) exit() }');
		t.is(r.status, 0, r.stderr);
		t.regex(r.stdout, /^\[ {5}0 : {2}\]\n\[ *\d+ : {2}\]\n\[ {5}0 \S+\(\d+\): \]\n$/, r.stdout);
	});

	test.serial('kmod: kernel_long(), user_long_error(), kernel_pointer() and kernel_int() at an unreadable address: stap\'s fault error, caught with its message, then uncaught with its location; user_int_warn() warns, user_string_n_quoted() gives the address', async (t) => {
		t.timeout(900_000);
		const r = await compileAndRun(fleet, release(), 'probe begin { try { println(kernel_long(8)) } catch (m) { println(m) } try { println(user_long_error(0)) } catch (m) { println(m) }'
			+ ' printf("%d %s %s\\n", user_int_warn(8), user_string_n_quoted(0, 3), string_quoted("a\\tb")) try { println(kernel_pointer(16)) } catch (m) { println(m) } println(kernel_int(4096)) }');
		t.is(r.stdout, 'kernel long copy fault at 0x8 [man error::fault]\nread fault [man error::fault] at 0x0\n0 0x0 "a\\tb"\nkernel pointer copy fault at 0x10 [man error::fault]\n');
		t.regex(r.stderr, /^WARNING: user int copy fault 0x8 \[man error::fault\]$/m);
		t.regex(r.stderr, /ERROR: kernel int copy fault at 0x1000 \[man error::fault\] near identifier 'kernel_int' at <input>:1:\d+/);
		t.not(r.status, 0);
	});

	test.serial('kmod uprobes: a file this machine has and the target lacks is refused at start, naming the probe and the path', async (t) => {
		t.timeout(900_000);
		// zlib is here (pass 2 finds inflate in it) and not in the guest
		const libz = realpathSync('/usr/lib/x86_64-linux-gnu/libz.so.1');
		const r = await fleet.run(['-e', `probe process("${libz}").function("inflate") { exit() }`], 300_000);
		t.not(r.status, 0, r.stdout);
		t.true(r.stderr.includes(`probe process("${libz}").function("inflate"): cannot find ${libz} (-ENOENT)`), r.stderr);
	});

	test.serial('kmod tracepoints: the event\'s fields ($filename, $pid, $next_comm, $next_pid, $prev_comm) and the TP_PROTO arguments through BTF ($bprm->filename, $p->pid, $old_pid, $next->comm, $next->tgid) of a process in the guest; a faulting chain caught by try', async (t) => {
		t.timeout(900_000);
		await guestSetup(fleet);
		// one probe reads either fields or arguments: two probes on each event
		const script = `global execpid, exec_args, switch_fields, switch_args, faulted
probe kernel.trace("sched:sched_process_exec") {
	if (!execpid && $filename == "${NODE}") {
		execpid = $pid
		printf("fields: exec %s pid=%d old_pid=%d\\n", $filename, $pid, $old_pid)
	}
}
probe kernel.trace("sched:sched_process_exec") {
	if (!exec_args && kernel_string($bprm->filename) == "${NODE}") {
		exec_args = 1
		printf("args: exec %s pid=%d old_pid=%d\\n", kernel_string($bprm->filename), $p->pid, $old_pid)
	}
}
probe kernel.trace("sched:sched_switch") {
	if (execpid && !switch_fields && $next_pid == execpid) {
		switch_fields = 1
		printf("fields: switch to %s pid=%d from %s\\n", $next_comm, $next_pid, $prev_comm)
	}
}
probe kernel.trace("sched:sched_switch") {
	if (execpid && !switch_args && $next->pid == execpid) {
		switch_args = 1
		printf("args: switch to %s pid=%d tgid=%d from %s\\n", $next->comm, $next->pid, $next->tgid, $prev->comm)
	}
	# a kernel thread has no mm: the chain faults where it is read, and try catches it
	if (!faulted) {
		try {
			if ($prev->mm->pgd == 0)
				println("args: no pgd")
		} catch (msg) {
			faulted = 1
			printf("args: caught %s\\n", msg)
		}
	}
	if (exec_args && switch_fields && switch_args && faulted)
		exit()
}`;
		// exec keeps the shell's pid; the timer makes Node sleep and be switched back in
		const { run, pids } = await runWithWorkload(fleet, release(), script,
			`exec ${NODE} -e 'console.log(process.pid); setTimeout(() => {}, 300)'`);
		t.log(run.stdout.trim());
		t.is(run.status, 0, run.stderr);
		t.is(run.stdout.split('\n').filter(Boolean).length, 5, run.stdout + run.stderr);
		t.regex(run.stdout, /^args: caught read fault \[man error::fault\] at 0x[0-9a-f]+$/m);
		const fieldsExec = /^fields: exec \/tmp\/tapfleet-node pid=(\d+) old_pid=\1$/m.exec(run.stdout);
		const argsExec = /^args: exec \/tmp\/tapfleet-node pid=(\d+) old_pid=\1$/m.exec(run.stdout);
		if (!fieldsExec || !argsExec) return void t.fail(run.stdout + run.stderr);
		const pid = fieldsExec[1]!;
		// the second probe may have been registered an exec later than the first
		t.true(pids.includes(Number(pid)) && pids.includes(Number(argsExec[1])), `${pid}, ${argsExec[1]}: not the workload's pids ${pids}`);
		t.regex(run.stdout, new RegExp(`^fields: switch to tapfleet-node pid=${pid} from \\S+$`, 'm'));
		t.regex(run.stdout, new RegExp(`^args: switch to tapfleet-node pid=${pid} tgid=${pid} from \\S+$`, 'm'));
	});

	test.serial('kmod procfs probes: /proc/systemtap/MODULE/PATH files whose reads run the read probe once per open (paged through by small reads, .maxsize() beyond MAXSTRINGLEN), whose writes are $value (a long write in buffer-sized runs), with stap\'s modes and .umask(), gone when the run ends', async (t) => {
		t.timeout(900_000);
		// -m: the module's name, and so its directory, is known to the workload
		const dir = '/proc/systemtap/tapfleet_procfs_e2e';
		const script = `global n
probe procfs("count").read { $value = sprintf("%d\\n", ++n) }
probe procfs("big").read.maxsize(4096) { for (i = 0; i < 40; i++) $value .= sprintf("%049d\\n", i) }
probe procfs("sub/dir/both").read { $value = "both\\n" }
probe procfs("sub/dir/both").write { printf("both got %s", $value) }
probe procfs("sub/wo").write { printf("wo got %s", $value) }
probe procfs("shared").umask(0040).read { $value = "shared\\n" }
probe procfs("ctl").write { printf("wrote %s", $value); if ($value == "stop\\n") exit() }`;
		const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release(), '-m', 'procfs_e2e', '-e', script]);
		t.is(built.status, 0, built.stderr);
		const running = fleet.run(['--module', built.stdout.trim()], 300_000);
		// the files come with the kernel-side probes; the probes run once the session is RUNNING (state=1)
		const w = await guestExec(fleet.shellPort, ['sh', '-c', `
for i in $(seq 1 240); do grep -q '^state=1 ' /proc/tapfleet_procfs_e2e/ctl 2>/dev/null && break; sleep 1; done
cd ${dir} || exit 1
cat count; cat count; echo --
dd if=big bs=7 2>/dev/null; echo --
cat sub/dir/both shared sub/wo; echo --
stat -c '%a %n' count big shared ctl sub/wo sub/dir/both; echo --
echo hello > sub/dir/both; echo world > sub/wo; echo hello > ctl
echo x 2>/dev/null > count || echo 'count: not writable'
head -c 600 /dev/zero | tr '\\0' x > /tmp/x600 && dd if=/tmp/x600 of=ctl bs=600 count=1 conv=notrunc 2>/dev/null
echo stop > ctl`], 300_000);
		const run = await running;
		t.is(w.status, 0, w.stderr);
		t.is(run.status, 0, run.stderr);
		const big = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(49, '0')}\n`).join('');
		t.is(big.length, 2000);
		t.is(w.stdout.toString(), `1\n2\n--\n${big}--\nboth\nshared\n--\n400 count\n400 big\n404 shared\n200 ctl\n200 sub/wo\n600 sub/dir/both\n--\ncount: not writable\n`);
		// 600 bytes in one write(): two runs, of MAXSTRINGLEN - 1 bytes and the rest
		t.is(run.stdout, `both got hello\nwo got world\nwrote hello\nwrote ${'x'.repeat(511)}wrote ${'x'.repeat(89)}wrote stop\n`);
		// the module's directory goes with the run; /proc/systemtap, everyone's, stays
		const after = await guestExec(fleet.shellPort, ['sh', '-c', `ls ${dir} 2>&1; echo "ls: $?"; ls -d /proc/systemtap`]);
		t.regex(after.stdout.toString(), /No such file or directory\nls: [1-9]\d*\n\/proc\/systemtap\n$/);
		// again, now that /proc/systemtap is there: found, not made twice (procfs would warn)
		const again = fleet.run(['--module', built.stdout.trim()], 300_000);
		const w2 = await guestExec(fleet.shellPort, ['sh', '-c', `
for i in $(seq 1 240); do grep -q '^state=1 ' /proc/tapfleet_procfs_e2e/ctl 2>/dev/null && break; sleep 1; done
cat ${dir}/count; echo stop > ${dir}/ctl`], 300_000);
		const run2 = await again;
		t.is(w2.stdout.toString(), '1\n', w2.stderr);
		t.is(run2.stdout, 'wrote stop\n', run2.stderr);
		const kmsg = await guestExec(fleet.shellPort, ['sh', '-c', 'dmesg > /tmp/kmsg && test -s /tmp/kmsg && ! grep -E "WARNING|already registered|proc_dir_entry|non-empty" /tmp/kmsg']);
		t.is(kmsg.status, 0, kmsg.stdout.toString() + kmsg.stderr);
	});
}
