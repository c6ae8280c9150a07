// The tcp and udp tapsets (tcp.stp, udp.stp, ip.stp) against this host's
// kernel types: every alias with every variable where kprobes are (as on
// a kmod target), and stap's located kprobes error where they are not.
// Their values are proven in the VM (test/kmod-e2e/net-tapsets.ts).
import test from 'ava';
import { forEachStatement } from '../../controller/elaborate/walk.js';
import { elaborate, localProfile, withKprobes } from './helpers.js';

const SOCK = 'saddr, daddr, sport, dport, family';
const ALIASES: Record<string, string> = {
	'tcp.sendmsg': `name, sock, size, ${SOCK}`,
	'tcp.sendmsg.return': 'name, size',
	'tcp.recvmsg': `name, sock, size, ${SOCK}`,
	'tcp.recvmsg.return': `name, size, ${SOCK}`,
	'tcp.disconnect': `name, sock, flags, ${SOCK}`,
	'tcp.disconnect.return': 'name, ret',
	'tcp.setsockopt': 'name, sock, family, level, optname, optstr, optlen',
	'tcp.setsockopt.return': 'name, ret',
	'tcp.receive': `name, iphdr, protocol, ${SOCK}, urg, ack, psh, rst, syn, fin`,
	'udp.sendmsg': `name, sock, size, ${SOCK}`,
	'udp.sendmsg.return': `name, size, ${SOCK}`,
	'udp.recvmsg': `name, sock, size, ${SOCK}`,
	'udp.recvmsg.return': `name, size, ${SOCK}`,
	'udp.disconnect': `name, sock, flags, ${SOCK}`,
	'udp.disconnect.return': `name, ret, ${SOCK}`,
};

const FUNCTIONS = ['tcp_sendmsg', 'tcp_recvmsg', 'tcp_disconnect', 'tcp_setsockopt', 'ipv6_setsockopt', 'tcp_v4_rcv', 'tcp_v6_rcv',
	'udp_sendmsg', 'udpv6_sendmsg', 'udp_recvmsg', 'udpv6_recvmsg', 'udp_disconnect'];

test('every tcp and udp alias elaborates with every variable where the kernel has kprobes', async (t) => {
	const p = withKprobes(await localProfile(), FUNCTIONS);
	for (const [alias, vars] of Object.entries(ALIASES)) {
		const r = elaborate(p, `probe ${alias} { println(${vars.split(', ').map((v) => `sprint(${v})`).join(' . " " . ')}) }`);
		t.is(r.stderr, '', alias);
		t.true((r.program?.probes.length ?? 0) >= 1, alias);
	}
});

test('the IPv6 functions are optional: without them tcp.setsockopt, tcp.receive and udp.sendmsg are the IPv4 ones', async (t) => {
	const p = withKprobes(await localProfile(), []);
	const v4only = { ...p, symbols: { ...p.symbols, traceable: undefined, functions: ['tcp_setsockopt', 'tcp_v4_rcv', 'udp_sendmsg'] } };
	const r = elaborate(v4only, 'probe tcp.setsockopt, tcp.receive, udp.sendmsg { println(name) }');
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => x.point), ['kernel.function("tcp_setsockopt")', 'kernel.function("tcp_v4_rcv")', 'kernel.function("udp_sendmsg")']);
});

test('udp.sendmsg: udp_sendmsg() counts IPv4 sockets only, as udpv6_sendmsg() hands it the IPv4-mapped datagrams of IPv6 ones', async (t) => {
	const p = withKprobes(await localProfile(), FUNCTIONS);
	const r = elaborate(p, 'probe udp.sendmsg { println(size) }');
	t.is(r.stderr, '');
	t.deepEqual(r.program!.probes.map((x) => x.point), ['kernel.function("udp_sendmsg")', 'kernel.function("udpv6_sendmsg")']);
	const skips = r.program!.probes.map((x) => {
		let next = false;
		forEachStatement(x.body, (s) => (next ||= s.kind === 'next'));
		return next;
	});
	t.deepEqual(skips, [true, false]);
});

test('without kprobes: the kernel.function error, located at the alias\'s function in the tapset', async (t) => {
	const p = await localProfile();
	if (p.capabilities.kprobe.available) return t.pass('this kernel has kprobes');
	for (const alias of Object.keys(ALIASES)) {
		const r = elaborate(p, `probe ${alias} { println(name) }`);
		t.is(r.program, null, alias);
		t.regex(r.stderr, /semantic error: kernel\.function probes need kprobes, which kernel \S+ does not have .*: identifier 'kernel' at \S+\/tapsets\/(tcp|udp)\.stp:\d+:\d+/, alias);
	}
});
