// The inet tapset (controller/tapsets/inet.stp) on the bpf runtime: byte
// orders on both sides, and addresses read from the kernel's sockets of
// connections the test's own process makes (IPv4 and IPv6 loopback).
import test, { type ExecutionContext } from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const CONNECT = `exec python3 -c "import socket
for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    s = socket.socket(fam)
    try: s.connect((host, 9))
    except OSError: pass"`;

/** Runs `script` while the test's process makes the two connections; the distinct output lines, sorted (each connection changes state twice). */
async function distinctLinesWhileConnecting(t: ExecutionContext, script: string): Promise<string[]> {
	const r = await run(tapfleet, ['run', '-c', CONNECT, '-e', script]);
	t.is(r.status, 0, r.stderr);
	return [...new Set(r.stdout.split('\n').filter(Boolean))].sort();
}

test('htons/ntohl/htonll and the rest on both sides; ip_ntop() and format_ipaddr() of IPv4 values and of an IPv6 socket\'s in6_addr in the kernel (%pI6\'s form); an unknown family', async (t) => {
	const orders = 'printf("%s: %x %x %x %x %x %x\\n", side, htons(0x1234), ntohs(0xabcd1234), htonl(0x12345678), ntohl(-1), htonll(0x0102030405060708), ntohll(htonll(-2)))';
	const script = `function orders(side) { ${orders} }
probe begin { orders("user"); printf("%s %s %s\\n", ip_ntop(0x0100007f), format_ipaddr(0x0101a8c0, AF_INET()), format_ipaddr(0, 99)) }
probe kernel.trace("sock:inet_sock_set_state") {
	if (pid() == target()) {
		sk = &@cast($sk, "sock", "kernel")->__sk_common
		if (@cast(sk, "sock_common", "kernel")->skc_family == AF_INET6())
			printf("v6 %s\\n", format_ipaddr(&@cast(sk, "sock_common", "kernel")->skc_v6_daddr, AF_INET6()))
		else
			printf("v4 %s port %d\\n", ip_ntop(@cast(sk, "sock_common", "kernel")->skc_daddr), ntohs(@cast(sk, "sock_common", "kernel")->skc_dport))
		orders("kernel")
	}
}`;
	// each connection changes state twice (SYN_SENT, then CLOSE on the refusal)
	t.deepEqual(await distinctLinesWhileConnecting(t, script), [
		'127.0.0.1 192.168.1.1 *unknown address family*',
		'kernel: 3412 3412 78563412 ffffffff 807060504030201 fffffffffffffffe',
		'user: 3412 3412 78563412 ffffffff 807060504030201 fffffffffffffffe',
		'v4 127.0.0.1 port 9',
		'v6 0000:0000:0000:0000:0000:0000:0000:0001',
	]);
});

test('socket_names.stp on both sides: families, socket types and states, TCP states by number and by name; a refused connection\'s TCP states as the kernel changes them', async (t) => {
	const script = `function names(side) {
	printf("%s: %s %s %s %s %s %s | %d %d %d %d\\n", side, sock_fam_num2str(10), sock_fam_num2str(1), sock_state_num2str(3), sock_type_num2str(2), tcp_sockstate_str(10), sock_fam_num2str(99),
		sock_fam_str2num("INET"), sock_type_str2num("RAW"), sock_state_str2num("CONNECTED"), sock_state_str2num("nothing"))
}
probe begin { names("user") }
probe kernel.trace("sock:inet_sock_set_state") {
	if (pid() == target()) {
		printf("%s %s -> %s\\n", sock_fam_num2str($family), tcp_sockstate_str($oldstate), tcp_sockstate_str($newstate))
		names("kernel")
	}
}`;
	t.deepEqual(await distinctLinesWhileConnecting(t, script), [
		'INET TCP_CLOSE -> TCP_SYN_SENT',
		'INET TCP_SYN_SENT -> TCP_CLOSE',
		'INET6 TCP_CLOSE -> TCP_SYN_SENT',
		'INET6 TCP_SYN_SENT -> TCP_CLOSE',
		'kernel: INET6 LOCAL CONNECTED DGRAM TCP_LISTEN UNDEF | 2 3 3 -1',
		'user: INET6 LOCAL CONNECTED DGRAM TCP_LISTEN UNDEF | 2 3 3 -1',
	]);
});
