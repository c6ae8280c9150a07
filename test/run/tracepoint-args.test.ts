// Tracepoint arguments (TP_PROTO: $bprm, $p, $next, $rq) on the bpf
// runtime: such a probe is attached as a raw tracepoint, its arguments
// read from the argument array and member chains through the kernel's BTF,
// against processes each test starts.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('sched_process_exec: $bprm->filename, $p->pid, $p->comm and $old_pid of the exec the test makes', async (t) => {
	const script = 'probe kernel.trace("sched:sched_process_exec") { if (pid() == target())'
		+ ' printf("%s %d %s %d\\n", kernel_string($bprm->filename), $p->pid == tid(), $p->comm, $old_pid == pid()) }';
	const r = await run(tapfleet, ['run', '-c', 'uname', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('/usr/bin/uname 1 uname 1'), r.stdout);
});

test('sched_switch: $preempt, $prev and $next, with members; a member chain that faults is stap\'s error, caught by try', async (t) => {
	const script = 'global n probe kernel.trace("sched:sched_switch") { if ($prev->tgid == target() && $prev->comm == "sleep" && !n++) {'
		+ ' printf("%d %d %d %s\\n", $preempt >= 0 && $preempt <= 1, $prev->pid == tid(), $next->pid != $prev->pid, $prev->comm);'
		+ ' try { println($prev->mm->pgd->pgd) } catch { println("unused") } } }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.2', '-e', script]); // (before its exec, the command is the gate's: hence comm)
	t.is(r.status, 0, r.stderr);
	const [first] = r.stdout.split('\n');
	t.is(first, '1 1 1 sleep');
});

test('&$p->pid, &$p->mm->mmap_base: a member\'s address (the pointer it is in, plus its offset), as @cast\'s; reading it gives the member; &$p itself refused by name', async (t) => {
	const script = 'probe kernel.trace("sched:sched_process_exec") { if (pid() == target()) printf("%d %d %d %d\\n",'
		+ ' &$p->pid == &@cast($p, "task_struct")->pid, kernel_int(&$p->pid) == $p->pid,'
		+ ' &$p->mm->mmap_base == &@cast($p->mm, "mm_struct")->mmap_base, kernel_long(&$p->mm->mmap_base) == $p->mm->mmap_base) }';
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1 1\n');
	const bad = await run(tapfleet, ['compile', '-p2', '-e', 'probe kernel.trace("sched:sched_process_exec") { println(&$p) }']);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /^semantic error: cannot take the address of '\$p': it is passed in a register; a member has one \(&\$p->member\): identifier '\$p' at <input>:1:59\n/);
	const field = await run(tapfleet, ['compile', '-p2', '-e', 'probe kernel.trace("sched:sched_process_exec") { println(&$filename) }']);
	t.regex(field.stderr, /taking the address of a target variable is not supported: only of a member/);
});

test('$p->comm[i], $bprm->filename[i]: an index computed at run time into an argument\'s array or pointer, read where it is used, as @cast\'s; @defined of one; an index into a non-pointer refused by name', async (t) => {
	const script = 'probe kernel.trace("sched:sched_process_exec") { if (pid() != target()) next; c = ""; f = "";'
		+ ' for (i = 0; i < 4; i++) { c .= sprintf("%c", $p->comm[i]); f .= sprintf("%c", $bprm->filename[i + 5]) }'
		+ ' printf("%s %d %d %d\\n", c, f == substr(kernel_string($bprm->filename), 5, 4), $p->comm[i - 1] == @cast($p, "task_struct")->comm[3], @defined($p->comm[i])) }';
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'true 1 1 1\n');
	const bad = await run(tapfleet, ['compile', '-p2', '-e', 'probe kernel.trace("sched:sched_process_exec") { i = 1; println($p->pid[i]) }']);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /semantic error: '\$p->pid' \(pid_t\) is not an array or a pointer/);
	const scalar = await run(tapfleet, ['compile', '-p2', '-e', 'probe kernel.trace("sched:sched_process_exec") { i = 1; println($old_pid[i]) }']);
	t.regex(scalar.stderr, /semantic error: \$old_pid is pid_t, not a pointer: an index computed at run time needs one/);
});

test('a member chain through a NULL pointer is "read fault [man error::fault] at 0x..." with the probe\'s location', async (t) => {
	// a kernel thread has no mm: $prev->mm is 0 there
	const script = 'probe kernel.trace("sched:sched_switch") { if ($prev->mm == 0 && $prev->pid != 0) println($prev->mm->mmap_base) }';
	const r = await run(tapfleet, ['run', '-T', '5', '-e', script]);
	t.is(r.status, 1);
	t.regex(r.stderr, /^ERROR: read fault \[man error::fault\] at 0x[0-9a-f]+ near identifier '\$prev' at <input>:1:\d+$/m);
});

test('kernel_string($next_comm) of a tracepoint\'s char array field, and of a __data_loc string ($filename of sched_process_exec): the field itself; user_string() of one is a type error', async (t) => {
	const script = 'global n probe kernel.trace("sched:sched_switch") { if (!n && $next_pid == target()) { n = 1;'
		+ ' printf("%s|%s|%s\\n", kernel_string($next_comm), kernel_string($next_comm, "unreadable"), $next_comm) } }'
		+ ' probe kernel.trace("sched:sched_process_exec") { if (pid() == target()) printf("exec %s\\n", kernel_string($filename)) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^(sh|sleep)\|\1\|\1\n/m);
	t.regex(r.stdout, /^exec \/bin\/sleep\n/m);
	const u = await run(tapfleet, ['compile', '-p2', '-e', 'probe kernel.trace("sched:sched_switch") { println(user_string($next_comm)) }']);
	t.is(u.status, 1);
	t.regex(u.stderr, /^semantic error: type mismatch: expected long but found string: identifier '\$next_comm' at <input>:1:64$/m);
});

test('kernel_string($next->comm), as stap scripts write it (a char array is its address to stap): the member itself; the error-message form too; an @cast member alike', async (t) => {
	const script = 'global n probe kernel.trace("sched:sched_switch") { if (!n && $next->pid == target()) { n = 1;'
		+ ' printf("%s|%s|%s|%s\\n", kernel_string($next->comm), kernel_string($next->comm, "unreadable"), $next->comm, kernel_string(@cast($next, "task_struct", "kernel")->comm)) } }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// the target's comm at its first switch-in: the shell that runs the command, or sleep after its exec
	t.regex(r.stdout, /^(sh|sleep)\|\1\|\1\|\1\n$/);
});

test('kernel_string_quoted(): a kernel string quoted as string_quoted() quotes; "0x..." where it cannot be read, NULL included; the user side refuses it', async (t) => {
	const script = 'global n probe kernel.trace("sched:sched_switch") { if (!n && $next->pid == target()) { n = 1;'
		+ ' printf("%s %s %s %s\\n", kernel_string_quoted(&@cast($next, "task_struct")->comm), kernel_string_quoted(&@cast($next, "task_struct")->comm + 15), kernel_string_quoted(0), kernel_string_quoted(8)) } }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^"(sh|sleep)" "" 0x0 0x8\n$/);
	const user = await run(tapfleet, ['compile', '-p3', '-e', 'probe begin { println(kernel_string_quoted(0)) }']);
	t.is(user.status, 1);
	t.regex(user.stderr, /kernel_string_quoted\(\) is not supported in user-side probes by the bpf runtime/);
});

// Bitfields of the kernel's structs, as stap reads them: a UDP socket's
// sk_no_check_tx (SO_NO_CHECK) and its txtime flags (SO_TXTIME), through
// $sk and through @cast; the union's bitfield against the byte it is in
test('bitfield members ($sk->sk_no_check_tx, @cast(...)->sk_txtime_report_errors): each its bits, as the socket options set them; @defined says they are there; no address, no members', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-bits-'));
	writeFileSync(join(dir, 'socks.py'), 'import socket, struct\n'
		+ 'a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.sendto(b"x", ("127.0.0.1", 9))\n'
		+ 'b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
		+ 'b.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK\n'
		+ 'b.setsockopt(socket.SOL_SOCKET, 61, struct.pack("iI", 1, 3))  # SO_TXTIME: deadline mode, report errors\n'
		+ 'b.sendto(b"x", ("127.0.0.1", 9))\n');
	const script = 'probe kernel.trace("sock:sock_send_length") { if (pid() == target()) printf("%d %d %d %d %d %d %d\\n", $sk->sk_no_check_tx, $sk->sk_kern_sock,'
		+ ' @cast($sk, "sock")->sk_txtime_deadline_mode, @cast($sk, "sock")->sk_txtime_report_errors, $sk->sk_txtime_unused,'
		+ ' $sk->sk_scm_credentials == ($sk->sk_scm_recv_flags & 1), @defined($sk->sk_no_check_tx)) }';
	const r = await run(tapfleet, ['run', '-c', `python3 ${join(dir, 'socks.py')}`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '0 0 0 0 0 1 1\n1 0 1 1 0 1 1\n');
	for (const [expr, message] of [['&$sk->sk_no_check_tx', /'\$sk->sk_no_check_tx' is a bitfield, which has no address/], ['$sk->sk_no_check_tx->x', /'\$sk->sk_no_check_tx' is a bitfield: it has no members or elements/]] as const) {
		const bad = await run(tapfleet, ['compile', '-p2', '-e', `probe kernel.trace("sock:sock_send_length") { println(${expr}) }`]);
		t.is(bad.status, 1, expr);
		t.regex(bad.stderr, message);
	}
});
