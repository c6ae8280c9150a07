// The tcp and udp tapsets (controller/tapsets/tcp.stp, udp.stp, ip.stp)
// proven in the VM through the agent, on the kmod runtime and (some of
// them) on bpf, as the VM's kernel has kprobes: each test makes real
// traffic over the guest's loopback (busybox nc, or Node's net and dgram
// under a name of their own for what nc cannot do: TCP_NODELAY, a reset,
// UDP) and checks what the aliases saw against it: the process, the byte
// counts, the addresses and ports of the connection, the flags of segments.
//
// Each script keeps the first event of each kind that belongs to the
// traffic (filtered in the kernel by port and process: the agent's own
// gRPC stream is TCP too) and prints them at its end; the workload runs
// every second until the script has seen it all and exited (the first
// runs may come before the probes are registered).
import test, { type ExecutionContext } from 'ava';
import { guestExec } from '../vm/vm-host.js';
import type { RunResult, VmFleet } from './vm-agent.js';

/** Node under a name of its own: its comm, so execname(), is this. */
const NODE = '/tmp/tapfleet-net';

/**
 * Runs `script` in the VM (the kmod runtime unless told) while `workload`
 * runs in the guest every second once the script's probes are all
 * registered; returns each workload's output. A bpf run has no control
 * file to say so: its workload runs from the start, and a script wanting
 * several events must not take them to be of one run of it.
 */
async function runWhileTrafficFlows(fleet: VmFleet, script: string, workload: string, runtime: 'kmod' | 'bpf' = 'kmod'): Promise<{ run: RunResult; outputs: string[] }> {
	const setup = await guestExec(fleet.shellPort, ['sh', '-c', `ln -sf /usr/bin/node ${NODE}`]);
	if (setup.status !== 0) throw new Error(`guest setup: ${setup.stderr}`);
	let done = false;
	const running = fleet.run(['--runtime', runtime, '-e', script], 300_000).finally(() => (done = true));
	const outputs: string[] = [];
	const registered = runtime === 'kmod' ? 'grep -qs "^state=1 .* started=1$" /proc/tapfleet_*/ctl' : 'true';
	for (let runs = 0; runs < 60 && !done; ) {
		// traffic before every probe is registered could be seen in part
		const ready = await guestExec(fleet.shellPort, ['sh', '-c', registered], 120_000);
		if (ready.status === 0) {
			runs++;
			const w = await guestExec(fleet.shellPort, ['sh', '-c', workload], 120_000);
			outputs.push(w.stdout.toString() + w.stderr.toString());
		}
		if (!done) await new Promise((resolve) => setTimeout(resolve, ready.status === 0 ? 1000 : 500));
	}
	return { run: await running, outputs };
}

/** The run's lines, each matched by its pattern; the groups of all the matches, in order. */
function matchLines(t: ExecutionContext, run: RunResult, patterns: RegExp[]): string[] {
	t.log(run.stdout.trim());
	t.is(run.status, 0, run.stderr);
	const lines = run.stdout.replace(/\n$/, '').split('\n');
	t.is(lines.length, patterns.length, run.stdout);
	const groups: string[] = [];
	patterns.forEach((p, i) => {
		const m = p.exec(lines[i] ?? '');
		if (m) groups.push(...m.slice(1));
		else t.fail(`line ${i + 1} ${JSON.stringify(lines[i])} does not match ${p}`);
	});
	return groups;
}

/** Node in the guest running `js` (no single quotes in it), under NODE's name. */
const node = (js: string) => `exec ${NODE} -e '${js}'`;

export function netTapsetTests(fleet: VmFleet): void {
	test.serial('kmod tcp.sendmsg, tcp.recvmsg and their .return: busybox nc over loopback, its execname, bytes sent and received, addresses and ports of both ends', async (t) => {
		t.timeout(900_000);
		const payload = 'tapfleet over tcp';
		const script = `global send, sent, recv, recvd, sender
probe tcp.sendmsg {
	if (dport == 40101 && send == "") {
		send = sprintf("%s %s family %d %s:%d -> %s:%d size %d", name, execname(), family, saddr, sport, daddr, dport, size)
		sender = tid()
	}
}
probe tcp.sendmsg.return { if (tid() == sender && sent == "") sent = sprintf("%s %s size %d", name, execname(), size) }
probe tcp.recvmsg {
	if (sport == 40101 && recv == "")
		recv = sprintf("%s %s family %d [%s]:%d <- [%s]:%d room %d", name, execname(), family, saddr, sport, daddr, dport, size > 0)
}
probe tcp.recvmsg.return {
	if (sport == 40101 && size > 0 && recvd == "")
		recvd = sprintf("%s %s family %d [%s]:%d <- [%s]:%d size %d", name, execname(), family, saddr, sport, daddr, dport, size)
}
probe timer.ms(100) { if (send != "" && sent != "" && recv != "" && recvd != "") exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s\\n%s\\n", send, sent, recv, recvd) }`;
		const { run, outputs } = await runWhileTrafficFlows(fleet, script,
			`nc -l -p 40101 & sleep 0.3; printf '${payload}' | nc -w 5 127.0.0.1 40101; wait`);
		t.true(outputs.some((o) => o.includes(payload)), `the listener received ${JSON.stringify(outputs)}`);
		// busybox nc listens on an IPv6 socket of both families: the connection it
		// accepts is an IPv6 socket, 127.0.0.1 an IPv4-mapped address (%pI6's form)
		const mapped = '0000:0000:0000:0000:0000:ffff:7f00:0001';
		const [clientPort, receivedFrom, readFrom] = matchLines(t, run, [
			/^tcp\.sendmsg nc family 2 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40101 size 17$/,
			/^tcp\.sendmsg nc size 17$/,
			new RegExp(`^tcp\\.recvmsg nc family 10 \\[${mapped}\\]:40101 <- \\[${mapped}\\]:(\\d+) room 1$`),
			new RegExp(`^tcp\\.recvmsg nc family 10 \\[${mapped}\\]:40101 <- \\[${mapped}\\]:(\\d+) size 17$`),
		]);
		// the listener's peer is the sender's own port (one connection, seen from both ends)
		t.not(Number(clientPort), 0);
		t.is(receivedFrom, clientPort);
		t.is(readFrom, clientPort);
	});

	test.serial('kmod tcp.receive: the SYN, the data and the FIN of a connection to a busybox nc listener, their headers\' addresses, ports and flags', async (t) => {
		t.timeout(900_000);
		const script = `global syn_seen, data_seen, fin_seen
probe tcp.receive {
	if (dport != 40102) next
	line = sprintf("%s family %d protocol %d iphdr %d %s:%d -> %s:%d urg %d ack %d psh %d rst %d syn %d fin %d",
		name, family, protocol, iphdr != 0, saddr, sport, daddr, dport, urg, ack, psh, rst, syn, fin)
	if (syn && syn_seen == "") syn_seen = line
	if (psh && data_seen == "") data_seen = line
	if (fin && fin_seen == "") fin_seen = line
}
probe timer.ms(100) { if (syn_seen != "" && data_seen != "" && fin_seen != "") exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s\\n", syn_seen, data_seen, fin_seen) }`;
		const { run } = await runWhileTrafficFlows(fleet, script,
			'nc -l -p 40102 >/dev/null & sleep 0.3; printf hello | nc -w 5 127.0.0.1 40102; wait');
		const ports = matchLines(t, run, [
			/^tcp\.ipv4\.receive family 2 protocol 6 iphdr 1 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40102 urg 0 ack 0 psh 0 rst 0 syn 1 fin 0$/,
			/^tcp\.ipv4\.receive family 2 protocol 6 iphdr 1 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40102 urg 0 ack 1 psh 1 rst 0 syn 0 fin 0$/,
			/^tcp\.ipv4\.receive family 2 protocol 6 iphdr 1 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40102 urg 0 ack 1 psh 0 rst 0 syn 0 fin 1$/,
		]);
		t.not(Number(ports[0]), 0);
	});

	test.serial('kmod tcp.setsockopt and tcp.disconnect with their .return: Node sets TCP_NODELAY on a connection and resets it (SO_LINGER 0: the close disconnects)', async (t) => {
		t.timeout(900_000);
		const script = `global opt, optret, disc, discret, setter, closer
probe tcp.setsockopt {
	if (execname() == "tapfleet-net" && opt == "") {
		opt = sprintf("%s family %d level %d optname %d %s optlen %d", name, family, level, optname, optstr, optlen)
		setter = tid()
	}
}
probe tcp.setsockopt.return { if (tid() == setter && optret == "") optret = sprintf("%s ret %d", name, ret) }
probe tcp.disconnect {
	if (execname() == "tapfleet-net" && dport == 40103 && disc == "") {
		disc = sprintf("%s flags %d family %d %s:%d -> %s:%d", name, flags, family, saddr, sport, daddr, dport)
		closer = tid()
	}
}
probe tcp.disconnect.return { if (tid() == closer && discret == "") discret = sprintf("%s ret %d", name, ret) }
probe timer.ms(100) { if (opt != "" && optret != "" && disc != "" && discret != "") exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s\\n%s\\n", opt, optret, disc, discret) }`;
		const { run, outputs } = await runWhileTrafficFlows(fleet, script, node(`const net = require("net");
const srv = net.createServer((c) => c.on("error", () => {}));
srv.listen(40103, "127.0.0.1", () => {
	const s = net.connect(40103, "127.0.0.1", () => {
		s.setNoDelay(true);
		console.log(s.localPort);
		s.resetAndDestroy();
		setTimeout(() => srv.close(), 200);
	});
});`));
		const [port] = matchLines(t, run, [
			/^tcp\.ipv4\.setsockopt family 2 level 6 optname 1 TCP_NODELAY optlen 4$/,
			/^tcp\.ipv4\.setsockopt ret 0$/,
			/^tcp\.disconnect flags 0 family 2 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40103$/,
			/^tcp\.disconnect ret 0$/,
		]);
		t.true(outputs.map((o) => o.trim()).includes(port!), `${port} is not a port the workloads connected from: ${outputs}`);
	});

	test.serial('kmod udp.sendmsg, udp.recvmsg, udp.disconnect and their .return: a datagram of 333 bytes between two Node sockets over loopback, the sender connected then disconnected', async (t) => {
		t.timeout(900_000);
		const script = `global send, sent, recv, recvd, disc, discret, sender, closer
probe udp.sendmsg {
	if (execname() == "tapfleet-net" && dport == 40104 && send == "") {
		send = sprintf("%s family %d %s:%d -> %s:%d size %d", name, family, saddr, sport, daddr, dport, size)
		sender = tid()
	}
}
probe udp.sendmsg.return {
	if (tid() == sender && sent == "") sent = sprintf("%s family %d %s:%d -> %s:%d size %d", name, family, saddr, sport, daddr, dport, size)
}
probe udp.recvmsg {
	if (sport == 40104 && recv == "")
		recv = sprintf("%s %s family %d %s:%d peer %s:%d room %d", name, execname(), family, saddr, sport, daddr, dport, size > 0)
}
probe udp.recvmsg.return { if (sport == 40104 && size > 0 && recvd == "") recvd = sprintf("%s size %d", name, size) }
probe udp.disconnect {
	if (execname() == "tapfleet-net" && dport == 40104 && disc == "") {
		disc = sprintf("%s family %d %s:%d -> %s:%d", name, family, saddr, sport, daddr, dport)
		closer = tid()
	}
}
probe udp.disconnect.return {
	if (tid() == closer && discret == "") discret = sprintf("%s ret %d family %d %s:%d -> %s:%d", name, ret, family, saddr, sport, daddr, dport)
}
probe timer.ms(100) { if (send != "" && sent != "" && recv != "" && recvd != "" && disc != "" && discret != "") exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s\\n%s\\n%s\\n%s\\n", send, sent, recv, recvd, disc, discret) }`;
		const { run, outputs } = await runWhileTrafficFlows(fleet, script, node(`const dgram = require("dgram");
const rx = dgram.createSocket("udp4");
rx.bind(40104, "127.0.0.1", () => {
	const tx = dgram.createSocket("udp4");
	rx.on("message", (m) => {
		console.log(tx.address().port + " " + m.length);
		tx.disconnect();
		tx.close();
		rx.close();
	});
	tx.bind(0, "127.0.0.1", () => tx.connect(40104, "127.0.0.1", () => tx.send(Buffer.alloc(333, 120))));
});`));
		const [sport, sentFrom, disconnectedFrom] = matchLines(t, run, [
			/^udp\.sendmsg family 2 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40104 size 333$/,
			/^udp\.sendmsg family 2 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40104 size 333$/,
			// the receiver is bound, not connected: no peer
			/^udp\.recvmsg tapfleet-net family 2 127\.0\.0\.1:40104 peer 0\.0\.0\.0:0 room 1$/,
			/^udp\.recvmsg size 333$/,
			/^udp\.disconnect family 2 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:40104$/,
			// read at the return, as stap's: the peer is gone, and the port chosen at bind(0) with it; the address bound stays
			/^udp\.disconnect ret 0 family 2 127\.0\.0\.1:0 -> 0\.0\.0\.0:0$/,
		]);
		t.is(sentFrom, sport);
		t.is(disconnectedFrom, sport);
		t.true(outputs.map((o) => o.trim()).includes(`${sport} 333`), `the workloads: ${outputs}`);
	});

	test.serial('kmod tcp.sendmsg, tcp.receive and udp.sendmsg over IPv6 (::1): family 10, the addresses in full; a datagram to an IPv4-mapped address is seen once', async (t) => {
		t.timeout(900_000);
		const lo6 = await guestExec(fleet.shellPort, ['ip', '-6', 'addr', 'show', 'dev', 'lo']);
		t.regex(lo6.stdout.toString(), /inet6 ::1\/128/, 'the guest\'s loopback has ::1');
		const script = `global send, syn_seen, udp, udps, sender
probe tcp.sendmsg {
	if (dport == 40105 && send == "") send = sprintf("%s %s family %d %s:%d -> %s:%d size %d", name, execname(), family, saddr, sport, daddr, dport, size)
}
probe tcp.receive {
	if (dport == 40105 && syn && syn_seen == "")
		syn_seen = sprintf("%s family %d protocol %d %s:%d -> %s:%d syn %d ack %d", name, family, protocol, saddr, sport, daddr, dport, syn, ack)
}
probe udp.sendmsg {
	if (execname() != "tapfleet-net") next
	if (!sender) sender = pid()
	if (pid() == sender) {
		udp .= sprintf("%s family %d size %d\\n", name, family, size)
		udps++
	}
}
probe timer.ms(100) { if (send != "" && syn_seen != "" && udps >= 2) exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s", send, syn_seen, udp) }`;
		const { run } = await runWhileTrafficFlows(fleet, script, node(`const net = require("net");
const dgram = require("dgram");
const srv = net.createServer((c) => { c.resume(); c.on("end", () => { c.end(); srv.close(); }); });
srv.listen(40105, "::1", () => {
	const s = net.connect(40105, "::1", () => s.end("tapfleet v6"));
});
const rx = dgram.createSocket("udp6");
rx.bind(40106, "::", () => {
	const tx = dgram.createSocket("udp6");
	let n = 0;
	rx.on("message", () => { if (++n === 2) { tx.close(); rx.close(); } });
	tx.send(Buffer.alloc(61, 1), 40106, "::1", () => tx.send(Buffer.alloc(44, 1), 40106, "::ffff:127.0.0.1"));
});`));
		const lo = '0000:0000:0000:0000:0000:0000:0000:0001';
		matchLines(t, run, [
			new RegExp(`^tcp\\.sendmsg tapfleet-net family 10 ${lo}:\\d+ -> ${lo}:40105 size 11$`),
			new RegExp(`^tcp\\.ipv6\\.receive family 10 protocol 6 ${lo}:\\d+ -> ${lo}:40105 syn 1 ack 0$`),
			/^udp\.sendmsg family 10 size 61$/,
			// udpv6_sendmsg() hands it to udp_sendmsg(): once, not twice
			/^udp\.sendmsg family 10 size 44$/,
		]);
	});

	test.serial('bpf tcp.sendmsg, tcp.recvmsg.return, tcp.receive and udp.sendmsg: the same aliases on the bpf runtime, as the VM\'s kernel has kprobes', async (t) => {
		t.timeout(900_000);
		const script = `global send, recvd, syn_seen, udp
probe tcp.sendmsg {
	if (dport == 40201 && send == "") send = sprintf("%s %s family %d %s:%d -> %s:%d size %d", name, execname(), family, saddr, sport, daddr, dport, size)
}
probe tcp.recvmsg.return {
	if (sport == 40201 && size > 0 && recvd == "") recvd = sprintf("%s %s family %d [%s]:%d size %d", name, execname(), family, saddr, sport, size)
}
probe tcp.receive {
	if (dport == 40201 && syn && syn_seen == "") syn_seen = sprintf("%s %s:%d -> %s:%d syn %d ack %d", name, saddr, sport, daddr, dport, syn, ack)
}
probe udp.sendmsg {
	if (execname() == "tapfleet-net" && dport == 40202 && udp == "") udp = sprintf("%s family %d %s -> %s:%d size %d", name, family, saddr, daddr, dport, size)
}
probe timer.ms(100) { if (send != "" && recvd != "" && syn_seen != "" && udp != "") exit() }
probe timer.s(120) { exit() }
probe end { printf("%s\\n%s\\n%s\\n%s\\n", send, recvd, syn_seen, udp) }`;
		const { run } = await runWhileTrafficFlows(fleet, script, `nc -l -p 40201 >/dev/null & sleep 0.3; printf hello | nc -w 5 127.0.0.1 40201; wait
${node('const d = require("dgram").createSocket("udp4"); d.connect(40202, "127.0.0.1", () => d.send(Buffer.alloc(77), () => d.close()))')}`, 'bpf');
		t.regex(run.stderr, /bpf for 6\.1\.\S+ \(build-id [0-9a-f]{12}\): asked for with --runtime bpf/);
		const mapped = '0000:0000:0000:0000:0000:ffff:7f00:0001';
		matchLines(t, run, [
			/^tcp\.sendmsg nc family 2 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:40201 size 5$/,
			new RegExp(`^tcp\\.recvmsg nc family 10 \\[${mapped}\\]:40201 size 5$`),
			/^tcp\.ipv4\.receive 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:40201 syn 1 ack 0$/,
			/^udp\.sendmsg family 2 127\.0\.0\.1 -> 127\.0\.0\.1:40202 size 77$/,
		]);
	});
}
