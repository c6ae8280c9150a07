// signal_str(), inet_get_local_port(), inet_get_ip_source(),
// tcp_get_info_rto() and task_open_file_handles() on the kmod runtime, in
// the VM: read from tcp_recvmsg()'s socket (a kprobe) of a Node process in
// the guest that talks to itself over loopback, checked against what that
// process sees of itself. Registered from conformance.test.ts, whose boot
// it shares.
import test from 'ava';
import type { VmFleet } from './vm-agent.js';
import { strtolFunction, strtolLine } from '../run/strtol-cases.js';

// A server on 127.0.0.2 answers the client's "x" with "y"; on the answer,
// the client gives its port, the server's, its descriptors (less the one
// readdir holds) and its socket's rto as /proc/net/tcp shows it (the 13th
// field, clock ticks of 1/100 s). Nothing reaches the client after the
// answer, so its rto then is still what the probe read.
const TALKER = `const net = require("net"), fs = require("fs");
const srv = net.createServer((c) => c.once("data", () => c.write("y"))).listen(0, "127.0.0.2", () => {
	const cli = net.connect(srv.address().port, "127.0.0.2", () => cli.write("x"));
	cli.once("data", () => {
		const fds = fs.readdirSync("/proc/self/fd").length - 1;
		const hex = cli.localPort.toString(16).toUpperCase().padStart(4, "0");
		const line = fs.readFileSync("/proc/net/tcp", "utf8").split("\\n").find((l) => l.trim().split(/\\s+/)[1] === "0100007F:" + hex);
		console.log("node", cli.localPort, srv.address().port, fds, line.trim().split(/\\s+/)[12]);
		process.exit(0);
	});
});`;

export function tapsetFunctionTests(fleet: VmFleet): void {
	test.serial('kmod tapset functions: signal_str() and strtol() (the kernel\'s simple_strtoll()) in begin; inet_get_local_port(), inet_get_ip_source() (the peer), tcp_get_info_rto() and task_open_file_handles() at tcp_recvmsg() of a Node process\'s own loopback connection, against its ports, /proc/net/tcp\'s rto and its /proc/self/fd', async (t) => {
		t.timeout(900_000);
		const script = `${strtolFunction('strtol_table')}
probe begin { printf("signals %s %s %s [%s]\\n", signal_str(1), signal_str(29), signal_str(40), signal_str(99)); strtol_table("strtol") }
probe kernel.function("tcp_recvmsg") {
	if (pid() == target())
		printf("stap %d %s %d %d\\n", inet_get_local_port($sk), inet_get_ip_source($sk), tcp_get_info_rto($sk), task_open_file_handles(task_current()))
}`;
		const r = await fleet.run(['-c', `exec node -e '${TALKER}'`, '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.log(r.stdout.trim());
		const lines = r.stdout.split('\n');
		t.true(lines.includes('signals HUP IO/POLL RTMIN+8 []'), r.stdout);
		// the kernel's own simple_strtoll(): the rules the bpf runtime follows (test/run/strtol.test.ts)
		t.true(lines.includes(strtolLine('strtol')), r.stdout);
		const node = lines.find((l) => l.startsWith('node '))?.split(' ').map(Number);
		t.truthy(node, r.stdout);
		const [, clientPort, serverPort, fds, rtoTicks] = node!;
		// tcp_recvmsg() may run more than once a socket (a read, then one that finds nothing)
		const seen = [...new Set(lines.filter((l) => l.startsWith('stap ')))].map((l) => l.split(' '));
		const server = seen.filter(([, port]) => Number(port) === serverPort);
		const client = seen.filter(([, port]) => Number(port) === clientPort);
		t.is(server.length, 1, r.stdout);
		t.is(client.length, 1, r.stdout);
		// the accepted socket's peer is the client, at the address the kernel gave it; the client's is the server
		t.is(server[0]![2], '127.0.0.1');
		t.is(client[0]![2], '127.0.0.2');
		const rto = Number(client[0]![3]);
		// whole jiffies of the guest's HZ (250): 4000 µs each; /proc/net/tcp's ticks are hundredths
		t.is(rto % 4000, 0, r.stdout);
		t.is(Math.floor(rto / 10000), rtoTicks, r.stdout);
		t.true(rto >= 200000 && rto < 1000000, r.stdout);
		t.is(Number(client[0]![4]), fds, r.stdout);
	});

	test.serial('kmod vm.* by kprobes: vm.pagefault and vm.pagefault.return (handle_mm_fault, its fault type through vm_fault_contains()), vm.mmap and vm.brk of a command in the guest', async (t) => {
		t.timeout(900_000);
		const script = `global n, w, minor, major, other, names
probe vm.pagefault { if (pid() == target()) { n++; w += write_access; names[name] = 1 } }
probe vm.pagefault.return {
	if (pid() != target()) next
	if (vm_fault_contains(fault_type, VM_FAULT_MINOR)) minor++
	else if (vm_fault_contains(fault_type, VM_FAULT_MAJOR)) major++
	else other++
}
probe vm.mmap, vm.brk { if (pid() == target() && address >= 0 && length > 0) names[name] = 1 }
probe end {
	printf("faults %d %d %d\\n", n > 10, w > 0, minor + major + other == n && minor > 0)
	printf("counts %d %d %d %d\\n", n, minor, major, other)
	foreach (x in names+) println(x)
}`;
		// the shell's exec maps the program (vm_mmap of its segments); its allocations grow the heap (brk)
		const r = await fleet.run(['-c', 'exec awk "BEGIN { for (i = 0; i < 20000; i++) s = s i; print length(s) }"', '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.log(r.stdout.trim());
		const lines = r.stdout.split('\n');
		t.true(lines.includes('faults 1 1 1'), r.stdout);
		for (const name of ['brk', 'mmap', 'pagefault']) t.true(lines.includes(name), `${name}: ${r.stdout}`);
	});
}
