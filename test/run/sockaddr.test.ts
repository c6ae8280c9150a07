// syscall.connect and syscall.bind as stap's tapsets give them: argstr with
// the address decoded (_struct_sockaddr_u, controller/tapsets/sockaddr.stp)
// and the address in parts (uaddr_af, uaddr_ip, uaddr_ip_port,
// uaddr_ipv6_*), on the bpf runtime against the calls a Python program
// makes: IPv4, IPv6, a Unix path, an abstract Unix name, NULL, an address
// that cannot be read.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

const PROGRAM = `import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.settimeout(0.2); s.connect_ex(("127.0.0.1", 9))
s6 = socket.socket(socket.AF_INET6); s6.settimeout(0.2); s6.connect_ex(("::1", 9))
u = socket.socket(socket.AF_UNIX); u.connect_ex("/nonexistent/tapfleet.sock")
a = socket.socket(socket.AF_UNIX); a.connect_ex("\\0abstract\\nname")
b = socket.socket(); b.bind(("127.0.0.1", 0))
n = socket.socket(); libc.connect(n.fileno(), None, 16); libc.connect(n.fileno(), ctypes.c_void_p(8), 16)
`;

test('syscall.connect and syscall.bind: argstr with the address as stap prints it, and uaddr_af, uaddr_ip, uaddr_ip_port, uaddr_ipv6_flowinfo, uaddr_ipv6_scope_id set as stap sets them', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-sockaddr-'));
	writeFileSync(join(dir, 'calls.py'), PROGRAM);
	const script = 'probe syscall.connect, syscall.bind { if (pid() == target()) printf("%s(%s) [%s] [%s] [%s] [%s] [%s]\\n", name, argstr,'
		+ ' uaddr_af, uaddr_ip, uaddr_ip_port, uaddr_ipv6_flowinfo, uaddr_ipv6_scope_id) }';
	const r = await run(tapfleet, ['run', '-c', `python3 ${join(dir, 'calls.py')}`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	// (file descriptors as the program got them: the first socket is 3.
	// Where nsswitch says so, the C library asks nscd before each address
	// Python resolves (getaddrinfo): those connects are the library's, not
	// the program's; CI's machine makes them, this one does not)
	const lines = r.stdout.trimEnd().split('\n').filter((l) => !l.includes('"/var/run/nscd/socket"'));
	t.deepEqual(lines.map((l) => l.replace(/^(\w+)\(\d+, /, '$1(FD, ')), [
		'connect(FD, {AF_INET, 127.0.0.1, 9}, 16) [AF_INET] [127.0.0.1] [9] [] []',
		'connect(FD, {AF_INET6, 0000:0000:0000:0000:0000:0000:0000:0001, 9}, 28) [AF_INET6] [0000:0000:0000:0000:0000:0000:0000:0001] [9] [0] [0]',
		'connect(FD, {AF_UNIX, "/nonexistent/tapfleet.sock"}, 29) [AF_UNIX] [] [] [] []',
		'connect(FD, {AF_UNIX, "\\000abstract\\nname"}, 16) [AF_UNIX] [] [] [] []',
		'bind(FD, {AF_INET, 127.0.0.1, 0}, 16) [AF_INET] [127.0.0.1] [0] [] []',
		'connect(FD, NULL, 16) [NULL] [] [] [] []',
		'connect(FD, {...}, 16) [{...}] [] [] [] []',
	]);
});

test('syscall.sendto: argstr as stap prints it (the data quoted and cut at 50 characters, the flags by name with what is left in hex, the address), and its buf, flags_str and to_str', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-sendto-'));
	writeFileSync(join(dir, 'send.py'), 'import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
		+ 'u.sendto(b"hello\\n", ("127.0.0.1", 9))\n'
		+ 'u.sendto(b"x" * 60, socket.MSG_DONTWAIT | socket.MSG_CONFIRM | 0x1000000, ("127.0.0.1", 9))\n');
	const script = 'probe syscall.sendto { if (pid() == target()) printf("%s(%s) [%s] [%s] [%s]\\n", name, argstr, buf, flags_str, to_str) }';
	const r = await run(tapfleet, ['run', '-c', `python3 ${join(dir, 'send.py')}`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	const x45 = 'x'.repeat(45);
	t.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.replace(/^sendto\(\d+, /, 'sendto(FD, ')), [
		'sendto(FD, "hello\\n", 6, 0x0, {AF_INET, 127.0.0.1, 9}, 16) ["hello\\n"] [0x0] [{AF_INET, 127.0.0.1, 9}]',
		`sendto(FD, "${x45}"..., 60, MSG_DONTWAIT|MSG_CONFIRM|0x1000000, {AF_INET, 127.0.0.1, 9}, 16) ["${x45}"...] [MSG_DONTWAIT|MSG_CONFIRM|0x1000000] [{AF_INET, 127.0.0.1, 9}]`,
	]);
});
