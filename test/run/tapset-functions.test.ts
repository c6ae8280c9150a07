// signal_str() and the sigaction words, inet_get_local_port(), inet_get_ip_source(),
// tcp_get_info_rto() and task_open_file_handles() on the bpf runtime,
// checked against what the process the test starts sees of itself: the
// signals it sends itself, the ports, peers and TCP_INFO of its own
// loopback sockets, the descriptors /proc lists for it.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

/** The lines of `out` that start with `prefix`, without it. */
const linesOf = (out: string, prefix: string) => out.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));

test('signal_str(): stap\'s names without "SIG" ("IO/POLL", "RTMIN+3"), "" for no signal, on both sides; the signals a process sends itself, named by it and by _signal_name()', async (t) => {
	const script = `function names(side) {
	printf("%s: %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s / %s %s %s\\n", side, signal_str(0), signal_str(1), signal_str(9), signal_str(16), signal_str(29),
		signal_str(31), signal_str(32), signal_str(34), signal_str(64), signal_str(65), signal_str(-1), _signal_name(16), _signal_name(29), _signal_name(30))
}
probe begin { names("user") }
probe signal.send { if (pid() == target()) { printf("sent %d %s %s\\n", sig, signal_str(sig), sig_name); names("kernel") } }`;
	// handled, so that the process lives through them; the C library keeps 32 and 33 for itself: its SIGRTMIN is 34
	const sender = 'exec python3 -c "import os, signal\nfor s in (signal.SIGHUP, signal.SIGIO, signal.SIGRTMIN + 3):\n    signal.signal(s, lambda *a: None)\n    os.kill(os.getpid(), s)"';
	const r = await run(tapfleet, ['run', '-c', sender, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const table = '|HUP|KILL|STKFLT|IO/POLL|SYS|RTMIN|RTMIN+2|RTMIN+32|| / 0x10 SIGIO/SIGPOLL SIGPWR';
	t.deepEqual(linesOf(r.stdout, 'user: '), [table]);
	t.deepEqual([...new Set(linesOf(r.stdout, 'kernel: '))], [table]);
	// and the SIGCHLD its exit sends its parent
	t.deepEqual(linesOf(r.stdout, 'sent '), ['1 HUP SIGHUP', '29 IO/POLL SIGIO/SIGPOLL', '37 RTMIN+5 0x25', '17 CHLD SIGCHLD']);
});

test('get_sa_handler(), get_sa_flags(), get_sigaction_mask(), sa_handler_str(), sa_flags_str(), sigset_mask_str(), is_sig_blocked(): a process\'s own dispositions, as it set them (a handler, an ignored signal, a blocked one, one with a mask); the words on both sides', async (t) => {
	const script = `global sigs, done
function words(side) {
	printf("%s: %s|%s|%s|%s %s|%s|%s %s|%s\\n", side, sa_handler_str(0), sa_handler_str(1), sa_handler_str(-1), sa_flags_str(0x14000004), sa_flags_str(0),
		sigset_mask_str(0x4002), sigset_mask_str(0), sigset_mask_str(0x8000000000000000), sigset_mask_str(1))
}
probe begin { sigs[2] = 1; sigs[10] = 1; sigs[12] = 1; sigs[13] = 1; sigs[15] = 1; words("user") }
probe syscall.openat {
	if (pid() != target() || !isinstr(filename, "hostname") || done++) next
	words("kernel")
	t = task_current()
	foreach (s in sigs) { // (unsorted: the kernel side does not sort)
		act = &@cast(t, "task_struct", "kernel")->sighand->action[s - 1]
		if (s == 12) printf("mask %s %x\\n", sigset_mask_str(get_sigaction_mask(act)), get_sigaction_mask(act))
		else printf("%s %s %s %d\\n", signal_str(s), sa_handler_str(get_sa_handler(act)), sa_flags_str(get_sa_flags(act)), is_sig_blocked(t, s))
	}
}`;
	// USR2 ignored through the C library's sigaction() with INT and TERM in its mask (Python's own calls leave masks empty)
	const usr2 = 'import ctypes\nclass SA(ctypes.Structure): _fields_ = [(\'handler\', ctypes.c_ulong), (\'mask\', ctypes.c_ulong * 16), (\'flags\', ctypes.c_int), (\'restorer\', ctypes.c_ulong)]\nsa = SA(1)\nsa.mask[0] = 0x4002\nassert ctypes.CDLL(None).sigaction(12, ctypes.byref(sa), None) == 0\n';
	const proc = `exec python3 -c "import signal\nsignal.signal(signal.SIGUSR1, lambda *a: 0)\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])\n${usr2}open('/etc/hostname')"`;
	const r = await run(tapfleet, ['run', '-c', proc, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// (signal 64, the mask's top bit, is past stap's loop, which stops below _NSIG)
	const table = 'default|ignored|error|SIGINFO|RESTART|RESTORER |2,15| |1';
	t.deepEqual(linesOf(r.stdout, 'user: '), [table]);
	t.deepEqual(linesOf(r.stdout, 'kernel: '), [table]);
	// Python's own handler for INT and USR1 (installed with SA_ONSTACK; the C library adds its restorer), PIPE ignored, TERM blocked
	const order = ['INT', 'USR1', 'PIPE', 'TERM'];
	const lines = r.stdout.split('\n').filter((l) => /^[A-Z0-9]+ /.test(l)).sort((a, b) => order.indexOf(a.split(' ')[0]!) - order.indexOf(b.split(' ')[0]!));
	t.is(lines.length, 4, r.stdout);
	t.regex(lines[0]!, /^INT 0x[0-9a-f]+ ONSTACK\|RESTORER 0$/);
	t.regex(lines[1]!, /^USR1 0x[0-9a-f]+ ONSTACK\|RESTORER 0$/);
	t.is(lines[2], 'PIPE ignored ONSTACK|RESTORER 0');
	t.is(lines[3], 'TERM default  1');
	t.deepEqual(linesOf(r.stdout, 'mask '), ['2,15 4002']);
});

test('inet_get_local_port(), inet_get_ip_source() (stap\'s: the peer\'s address), tcp_get_info_rto() and tcp_ts_get_info_state() of a process\'s own listener and IPv4 and IPv6 loopback connections, reached from getsockopt()\'s descriptor; the ports and peers it sees, the rto its TCP_INFO gives', async (t) => {
	// each socket's TCP_INFO (tcpi_rto: a u32 at offset 8, in µs); a listener's is not filled in
	// each line in one write(2): the command shares the run's stdout with taprun, and an unbuffered python
	// (PYTHONUNBUFFERED in the environment) wrote 'py' and the rest apart, with a probe's line in between
	const sockets = `exec python3 -c "import os, socket, struct
for fam, host, peer in ((socket.AF_INET, '127.0.0.2', '127.0.0.1'), (socket.AF_INET6, '::1', '::1')):
    srv = socket.socket(fam); srv.bind((host, 0)); srv.listen()
    cli = socket.socket(fam); cli.connect(srv.getsockname())
    acc, _ = srv.accept()
    for s, remote in ((srv, None), (cli, host), (acc, peer)):
        rto = struct.unpack_from('I', s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 8)[0]
        os.write(1, ('py %s %s %s\\n' % (s.getsockname()[1], remote or '-', rto if remote else '-')).encode())"`;
	const script = `probe syscall.getsockopt {
	if (pid() == target()) {
		sk = @cast(@cast(task_fd_lookup(task_current(), fd), "file", "kernel")->private_data, "socket", "kernel")->sk
		printf("stap %d %s %d %d\\n", inet_get_local_port(sk), inet_get_ip_source(sk), tcp_get_info_rto(sk), tcp_ts_get_info_state(sk))
	}
}`;
	const r = await run(tapfleet, ['run', '-c', sockets, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const seen = linesOf(r.stdout, 'py ').map((l) => l.split(' '));
	const stap = linesOf(r.stdout, 'stap ').map((l) => l.split(' '));
	t.is(seen.length, 6, r.stdout);
	t.is(stap.length, 6, r.stdout);
	const v6 = (a: string) => (a === '::1' ? '0000:0000:0000:0000:0000:0000:0000:0001' : a);
	seen.forEach(([port, remote, rto], i) => {
		const [sPort, sSource, sRto, sState] = stap[i]!;
		// TCP_LISTEN (10) for the listener, TCP_ESTABLISHED (1) for the connection's ends
		t.is(sState, remote === '-' ? '10' : '1', `socket ${i}: ${r.stdout}`);
		t.is(sPort, port, `socket ${i}: ${r.stdout}`);
		if (remote === '-') {
			// a listener has no peer, and its rto is still the initial second (TCP_TIMEOUT_INIT)
			t.regex(sSource!, /^(0\.0\.0\.0|0000(:0000){7})$/);
			t.is(sRto, '1000000');
		} else {
			t.is(sSource, v6(remote!));
			t.is(sRto, rto, `socket ${i}: ${r.stdout}`);
		}
	});
	// a connection's two ends share the listener's port
	t.is(stap[2]![0], stap[0]![0]);
	t.is(stap[5]![0], stap[3]![0]);
});

test('task_open_file_handles(): the descriptors /proc lists for the process, as it opens 3, then 100 more (beyond the bitmap\'s first word), then closes the first 3', async (t) => {
	const opener = `exec python3 -c "import os, time
def stage():
    # listdir holds a descriptor of its own while it reads
    os.write(1, ('py %d\\n' % (len(os.listdir('/proc/self/fd')) - 1)).encode())  # one write(2): see the sockets test
    time.sleep(0.01)
stage()
three = [os.open('/dev/null', os.O_RDONLY) for _ in range(3)]
stage()
many = [os.open('/dev/null', os.O_RDONLY) for _ in range(100)]
stage()
for fd in three: os.close(fd)
stage()"`;
	const script = 'probe syscall.clock_nanosleep, syscall.nanosleep { if (pid() == target()) printf("stap %d\\n", task_open_file_handles(task_current())) }';
	const r = await run(tapfleet, ['run', '-c', opener, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const listed = linesOf(r.stdout, 'py ').map(Number);
	t.deepEqual(linesOf(r.stdout, 'stap ').map(Number), listed);
	t.deepEqual(listed.map((n) => n - listed[0]!), [0, 3, 103, 100]);
});

test('stringat(), isdigit() and isspace() on both sides: the byte at the position, stap\'s "Position out of bounds" outside the string, caught and then ending the run (a literal with a constant position past it compiles)', async (t) => {
	const script = `function at(side, s) {
	printf("%s: %d %d %d %d %d\\n", side, stringat(s, 0), stringat(s, 2), isdigit(s), isdigit("x7"), isspace(substr(s, 1, 1)))
	try { println(stringat(s, 3)) } catch (e) { printf("%s: %s\\n", side, e) }
	try { println(stringat(s, -1)) } catch (e) { printf("%s: %s\\n", side, e) }
}
probe begin { at("user", "7 z") }
probe syscall.getpid { if (pid() == target()) { at("kernel", "7 z"); at("kernel", sprintf("%dpq", 12)); println(stringat("ab", 2)) } }`;
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; os.getpid()"', '-e', script]);
	t.is(r.status, 1);
	t.deepEqual(r.stdout.split('\n'), [
		'user: 55 122 1 0 1', 'user: Position out of bounds', 'user: Position out of bounds',
		'kernel: 55 122 1 0 1', 'kernel: Position out of bounds', 'kernel: Position out of bounds',
		'kernel: 49 112 1 0 0', '113', 'kernel: Position out of bounds', '',
	]);
	t.regex(r.stderr, /^ERROR: Position out of bounds near identifier 'stringat' at <input>:7:\d+$/m);
});

test('stp_pid() in kernel-side probes: taprun\'s pid, the one begin and end probes see as their own', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; os.getpid()"', '-e', `global mine
probe begin { mine = pid(); printf("begin %d\\n", stp_pid() == mine) }
probe syscall.getpid { if (pid() == target()) { printf("kernel %d %d\\n", stp_pid() == mine, pid() != mine); exit() } }
probe end { printf("end %d\\n", stp_pid() == mine) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'begin 1\nkernel 1 1\nend 1\n');
});

test('text_str(), text_strn() and string_quoted() on the kernel side escape as the user side does (stap\'s _stp_text_str: C escapes, octal, \\u for UTF-8, cut with "..." after the quote only when quoted)', async (t) => {
	const script = `function show(side, s) {
	printf("%s: [%s] [%s] [%s] [%s] [%s] [%s]\\n", side, text_str(s), text_strn(s, 5, 0), text_strn(s, 6, 1), text_strn(s, 0, 1), text_strn(s, -3, 0), string_quoted(s))
}
probe begin { show("user", "a\\tb\\"c\\\\d\\001\\303\\251\\342\\202\\254x") show("user", "") }
probe syscall.getpid { if (pid() == target()) { show("kernel", "a\\tb\\"c\\\\d\\001\\303\\251\\342\\202\\254x") show("kernel", ""); exit() } }`;
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; os.getpid()"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const text = 'a\\tb\\"c\\\\d\\001\\u00E9\\u20ACx';
	const lines = (side: string) => [`${side}: [${text}] [a\\tb] ["a"...] ["${text}"] [${text}] ["${text}"]`, `${side}: [] [] [""] [""] [] [""]`];
	t.deepEqual(r.stdout.trimEnd().split('\n'), [...lines('user'), ...lines('kernel')]);
});
