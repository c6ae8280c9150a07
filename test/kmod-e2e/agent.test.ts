// The kmod runtime end to end: scripts compiled on this machine by passes
// 1-4 for the VM's kernel (its profile fetched from the agent in the guest,
// kbuild against the matching tree: --runtime auto picks kmod), signed,
// sent over gRPC with mTLS to the agent running in the VM, loaded there by
// taprun as kernel modules, their output streamed back. A workload in the
// guest (cat in a loop) gives the probes something real to see.
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKmodModule } from '../../controller/build/kmod-module.js';
import { AgentClient } from '../../controller/dispatch/agent-client.js';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { loadClientTls, loadSigningKey } from '../../controller/pki/credentials.js';
import { gnuBuildIdOfElfFile } from '../../controller/profile/elf-notes.js';
import { SessionOptions } from '../../proto/gen/tapfleet/v1/agent.js';
import { guestExec, prepareVm, type VmKernel } from '../vm/vm-host.js';
import { VmFleet } from './vm-agent.js';
import { netTapsetTests } from './net-tapsets.js';

const fleet = new VmFleet();
let kernel: VmKernel;
let vmBuildId = '';

/** The build-id with its first byte changed: a kernel build the VM does not run. */
function otherBuildId(id: string): string {
	return (parseInt(id.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, '0') + id.slice(2);
}

test.before(async (t) => {
	t.timeout(900_000, 'first prepare downloads the kernel image; the agent bundle; boot under TCG on a busy machine');
	kernel = await prepareVm();
	vmBuildId = gnuBuildIdOfElfFile(kernel.vmlinux) ?? '';
	fleet.prepare({ guestShell: true });
	// pass 3-4 output compiled for a build the VM does not run, for taprun in the guest to refuse
	const scriptText = 'probe begin { println("must not run") }';
	const c = await fleet.tapfleet(['compile', '-p3', '--runtime', 'kmod', '-r', kernel.release, '-m', 'tapfleet_wrong_build', '-e', scriptText]);
	if (c.status !== 0) throw new Error(`compile -p3: ${c.stderr}`);
	const wrong = await buildKmodModule({
		name: 'wrong_build', scriptText, cacheDir: fleet.cache, source: c.stdout,
		target: { tree: kernel.tree, release: kernel.release, arch: 'x86_64', buildId: otherBuildId(vmBuildId) },
	});
	mkdirSync(join(fleet.payload.dir, 'wrong'));
	cpSync(wrong.dir, join(fleet.payload.dir, 'wrong'), { recursive: true });
	await fleet.boot();
	// reads and opens of a known file, and execs of cat, several times a second
	// (through a path: busybox's sh would run a bare `cat` in a fork without exec)
	const loop = 'while :; do /tmp/cat /payload/marker-file >/dev/null; sleep 0.2; done';
	await guestExec(fleet.shellPort, ['sh', '-c', `ln -sf /bin/busybox /tmp/cat; echo tapfleet >/payload/marker-file; (${loop}) </dev/null >/dev/null 2>&1 &`]);
});

test.after.always(() => fleet.close());
netTapsetTests(fleet);

/** Runs a script in the VM; a failure shows tapfleet's stderr. */
async function vmRun(script: string, extra: string[] = []) {
	return fleet.run([...extra, '-e', script]);
}

test.serial('hello world through the agent in the VM: kmod chosen for its kernel, output streamed back', async (t) => {
	t.timeout(600_000);
	const r = await vmRun('probe begin { printf("hello world\\n"); exit() }');
	t.is(r.stdout, 'hello world\n', r.stderr);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stderr, /kmod for 6\.1\.\S+ \(build-id [0-9a-f]{12}\): modules load there and the kernel tree \S+ matches/);
});

test.serial('kernel.function("vfs_read") counts real reads (a kprobe)', async (t) => {
	t.timeout(600_000);
	const r = await vmRun('global n\nprobe kernel.function("vfs_read") { n++ }\nprobe timer.s(2) { printf("vfs_read calls: %d\\n", n); exit() }');
	t.is(r.status, 0, r.stderr);
	const m = /^vfs_read calls: (\d+)\n$/.exec(r.stdout);
	t.truthy(m, r.stdout + r.stderr);
	t.true(Number(m![1]) > 0);
});

test.serial('kernel.function("vfs_read").return with $return (a kretprobe), is_return()', async (t) => {
	t.timeout(600_000);
	// is_return() in the handler and in a function it calls: 1 at every return; 0 in the timer
	const script = 'global calls, bytes, rets\nfunction ret() { return is_return() }\n'
		+ 'probe kernel.function("vfs_read").return { if ($return > 0) { calls++; bytes += $return; rets += is_return() + ret() } }\n'
		+ 'probe timer.s(2) { printf("%d reads returned %d bytes\\n", calls, bytes); if (rets != 2 * calls || is_return() || ret()) println("is_return() differs"); exit() }';
	const r = await vmRun(script);
	t.is(r.status, 0, r.stderr);
	const m = /^(\d+) reads returned (\d+) bytes\n$/.exec(r.stdout);
	t.truthy(m, r.stdout + r.stderr);
	t.true(Number(m![1]) > 0);
	t.true(Number(m![2]) >= Number(m![1]));
});

test.serial('a tracepoint: kernel.trace("sched:sched_process_exec") sees the workload\'s execs', async (t) => {
	t.timeout(600_000);
	const r = await vmRun('global n\nprobe kernel.trace("sched:sched_process_exec") { if (execname() == "cat") n++ }\nprobe timer.s(2) { printf("%s\\n", n > 0 ? "cat execs seen" : "none"); exit() }');
	t.is(r.stdout, 'cat execs seen\n', r.stderr);
	t.is(r.status, 0, r.stderr);
});

test.serial('a timer: timer.ms(100) five times, then exit', async (t) => {
	t.timeout(600_000);
	const r = await vmRun('global t\nprobe timer.ms(100) { t++; printf("tick %d\\n", t); if (t == 5) exit() }\nprobe end { println("done") }');
	t.is(r.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ndone\n', r.stderr);
	t.is(r.status, 0, r.stderr);
});

test.serial('syscall.open prints the real opens of cat (file name and flags)', async (t) => {
	t.timeout(600_000);
	const r = await vmRun('probe syscall.open { if (execname() == "cat" && filename == "\\"/payload/marker-file\\"") { printf("cat opens %s: %s\\n", filename, argstr); exit() } }');
	t.is(r.status, 0, r.stderr);
	// argstr as the syscall tapset formats it (the file name quoted, the flags by name)
	t.regex(r.stdout, /^cat opens "\/payload\/marker-file": (?:.*, )?"\/payload\/marker-file", O_RDONLY\b.*\n$/);
});

test.serial('-c through the agent in the VM (taprun -c with a kmod module): target() is the command (exec\'d: the same pid), its open is seen, its output follows the begin probe\'s, its end ends the session; local_clock_ns(), cpu_clock_ns() and get_cycles() advance; module_name(), env_var(); cpu_clock_ns() of no CPU is stap\'s error', async (t) => {
	t.timeout(600_000);
	const script = 'global l0, c0, g0, opens, fruit\n'
		+ 'probe begin { l0 = local_clock_ns(); c0 = cpu_clock_ns(0); g0 = get_cycles(); printf("target %d\\n", target() > 0) }\n'
		+ 'probe kernel.function("do_sys_openat2") { if (pid() == target() && user_string($filename) == "/payload/marker-file") { opens++; fruit = env_var("TAPFLEET_TEST_A") } }\n'
		+ 'probe end { printf("opens %d (%s), clocks %d %d %d, %s\\n", opens, fruit, local_clock_ns() > l0, cpu_clock_us(0) >= c0 / 1000, get_cycles() > g0, module_name() =~ "^tap_[0-9a-f]{16}$" ? "named" : module_name()) }';
	// no exit() and no -T: the command's end ends the session
	// plain words: env execs cat, in the same process
	const r = await vmRun(script, ['-c', 'env TAPFLEET_TEST_A=guava /tmp/cat /payload/marker-file']);
	t.is(r.status, 0, r.stderr);
	// busybox's cat copies with sendfile(), no vfs_read(): its open of the file, by the target's pid, is what shows it ran under the probes
	t.is(r.stdout, 'target 1\ntapfleet\nopens 1 (guava), clocks 1 1 1, named\n', r.stderr);
	const offline = await vmRun('probe begin { println(cpu_clock_ns(-1)) }');
	t.is(offline.status, 1);
	t.regex(offline.stderr, /^ERROR: cpu -1 is not online near identifier 'cpu_clock_ns' at <input>:1:\d+$/m);
});

test.serial('the dentry tapset on kmod: vfs_open()\'s path and vfs_write()\'s file as full paths (a socket by its sockfs name), d_name(); the task\'s executable, directory, limits and descriptors; pid2task(), pid2execname() and proc_mem_*()', async (t) => {
	t.timeout(600_000);
	const script = 'global w\n'
		+ 'probe kernel.function("vfs_open") { if (pid() == target() && d_name($path->dentry) == "marker-file") printf("open %s by %s in %s, nofile %d, fd 1 %d\\n", fullpath_struct_path($path), fullpath_struct_file(task_current(), current_exe_file()),'
		+ '   fullpath_struct_path(task_cwd_path(task_current())), task_rlimit_nofile(task_current()), task_fd_lookup(task_current(), 1) != 0) }\n'
		+ 'probe kernel.function("vfs_write") { if (pid() == target() && !w++) printf("write %s, by pid %d %d %s %d\\n", fullpath_struct_file(task_current(), $file),'
		+ '   pid2task(pid()) == task_current(), proc_mem_size(pid()) == proc_mem_size() && proc_mem_rss() > 0, pid2execname(pid()), pid2task(4194304)) }';
	// the shell writes (a builtin) to its stdout, the agent's socket to taprun, then becomes cat
	const r = await vmRun(script, ['-c', 'echo hi; cd /payload && ulimit -n 321 && exec /tmp/cat /payload/marker-file']);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter(Boolean).sort();
	t.is(lines.length, 4, r.stdout);
	t.is(lines[0], 'hi');
	// busybox is the program behind /tmp/cat (wherever the guest keeps it)
	t.regex(lines[1]!, /^open \/payload\/marker-file by \/\S*busybox in \/payload, nofile 321, fd 1 1$/);
	t.is(lines[2], 'tapfleet');
	t.regex(lines[3]!, /^write (socket|pipe):\[\d+\], by pid 1 1 sh 0$/);
});

test.serial('build-id mismatch, layer 1: the controller refuses a module for the VM\'s tree sent to this machine\'s host, before sending', async (t) => {
	t.timeout(600_000);
	const local = await fleet.startLocalAgent();
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', kernel.release, '-e', 'probe begin { println("hi"); exit() }']);
	t.is(built.status, 0, built.stderr);
	const r = await fleet.tapfleet(['run', '--host', local, '--pki', fleet.pki, '--module', built.stdout.trim()]);
	t.is(r.status, 1);
	t.is(r.stdout, '');
	t.regex(r.stderr, new RegExp(`Build-id mismatch: host "${local.replace(/\./g, '\\.')}" runs kernel build-id [0-9a-f]+ .*but module "\\S+" was built for build-id ${vmBuildId}`));
});

test.serial('build-id mismatch, layer 2: the VM\'s agent refuses a kmod module whose manifest names another build-id', async (t) => {
	t.timeout(600_000);
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', kernel.release, '-e', 'probe begin { println("hi"); exit() }']);
	t.is(built.status, 0, built.stderr);
	// the same .ko, its manifest claiming another kernel (signed afresh: only the build-id differs)
	const dir = join(fleet.work, 'claims-other-build');
	cpSync(built.stdout.trim(), dir, { recursive: true });
	const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
	manifest.target.buildId = otherBuildId(vmBuildId);
	writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, '\t') + '\n');
	const client = new AgentClient(parseHostUri(fleet.host), loadClientTls(fleet.pki));
	try {
		const before = await client.listSessions();
		const err: any = await t.throwsAsync(client.load(signedUpload(readModuleDir(dir), loadSigningKey(fleet.pki)), SessionOptions.fromPartial({})));
		t.is(err?.code, status.FAILED_PRECONDITION, err?.details);
		t.regex(err?.details ?? '', new RegExp(`Build-id mismatch: .*${otherBuildId(vmBuildId)}.*${vmBuildId}`));
		// no session was made for it, and nothing runs
		const after = await client.listSessions();
		t.is(after.length, before.length);
		t.deepEqual(after.filter((s) => s.state !== 'finished'), []);
	} finally {
		client.close();
	}
});

test.serial('build-id mismatch, layer 3: a generated module built for another build refuses to start in the VM\'s kernel (taprun directly)', async (t) => {
	t.timeout(600_000);
	const sh = (cmd: string) => guestExec(fleet.shellPort, ['sh', '-c', cmd], 120_000);
	const r = await sh('taprun=$(find /tmp/cache -name taprun -type f | head -1); $taprun /payload/wrong; echo "status $?"');
	t.regex(r.stdout.toString(), /status 1\n$/);
	t.regex(r.stderr, new RegExp(`ERROR: Build-id mismatch: "kernel" vs\\. "vmlinux" byte 0 \\(0x${vmBuildId.slice(0, 2)} vs 0x${otherBuildId(vmBuildId).slice(0, 2)}\\)`));
	t.regex(r.stderr, /this module was built for/);
	t.is((await sh('grep -c ^tapfleet_ /proc/modules || true')).stdout.toString(), '0\n');
});

test.serial('one run on this machine (bpf) and in the VM (kmod): compiled once per build-id, output merged with prefixes', async (t) => {
	t.timeout(600_000);
	const local = await fleet.startLocalAgent();
	const r = await fleet.tapfleet(['run', '--host', local, '--host', fleet.host, '--pki', fleet.pki, '--prefix', '-e',
		'probe begin { printf("hello\\n") } probe timer.ms(200) { printf("tick\\n"); exit() }']);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter(Boolean).sort();
	t.deepEqual(lines, [`${fleet.host}: hello`, `${fleet.host}: tick`, `${local}: hello`, `${local}: tick`].sort(), r.stderr);
	// the VM's build was compiled for once, as kmod; this machine's as bpf
	t.is(r.stderr.match(/: kmod for 6\.1\./g)?.length, 1, r.stderr);
});

// Last: it kills and restarts the VM's agent.
test.serial('kill -9 of the agent and its taprun mid-session: the restarted agent removes the module left loaded, and its journal says why', async (t) => {
	t.timeout(900_000);
	const sh = async (cmd: string) => (await guestExec(fleet.shellPort, ['sh', '-c', cmd], 120_000)).stdout.toString();
	const journal = async () => (await sh('cat /tmp/agent/journal.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
	const started = await fleet.run(['--detach', '-e', 'probe timer.ms(100) { printf("tick\\n") }']);
	t.is(started.status, 0, started.stderr);
	const sessionId = started.stdout.trim().split('\t')[1]!;
	t.regex(sessionId, /^s-[0-9a-f]{12}$/, started.stdout);
	const loaded = (await journal()).find((e) => e.event === 'loaded' && e.session === sessionId);
	const agentPid = (await journal()).filter((e) => e.event === 'agent-started').at(-1).pid;
	t.regex(loaded.module, /^tapfleet_/);
	t.regex(await sh('cat /proc/modules'), new RegExp(`^${loaded.module} `, 'm'));

	// Both die at once: nobody is left to unload the module, and it keeps running in the kernel.
	// (a zombie counts as dead: it holds nothing any more)
	const alive = (pid: number) => `{ [ -e /proc/${pid}/status ] && ! grep -q '^State:.Z' /proc/${pid}/status; }`;
	await sh(`kill -9 ${agentPid} ${loaded.pid}; while ${alive(agentPid)} || ${alive(loaded.pid)}; do sleep 0.1; done`);
	t.regex(await sh('cat /proc/modules'), new RegExp(`^${loaded.module} `, 'm'), 'the killed taprun left its module loaded');

	const port = fleet.host.split(':')[1];
	await sh(`cd / && XDG_CACHE_HOME=/tmp/cache node /payload/tapfleet-agent.mjs --listen 0.0.0.0:${port} --pki /payload/pki --state-dir /tmp/agent </dev/null >/dev/null 2>>/tmp/agent.log &`);
	const client = new AgentClient(parseHostUri(fleet.host), loadClientTls(fleet.pki));
	t.teardown(() => client.close());
	// it reconciles before it listens: once it answers, it is done
	let sessions: Awaited<ReturnType<AgentClient['listSessions']>> | undefined;
	for (const deadline = Date.now() + 300_000; !sessions && Date.now() < deadline; ) {
		sessions = await client.listSessions().catch(() => new Promise<undefined>((r) => setTimeout(r, 500)));
	}
	t.truthy(sessions, 'the restarted agent answers');
	t.is(await sh('grep -c ^tapfleet_ /proc/modules || true'), '0\n', 'nothing stays loaded that no session owns');

	const after = await journal();
	t.like(after.find((e) => e.event === 'reconciled' && e.session === sessionId), { action: 'gone', pid: loaded.pid, reason: 'agent restarted' });
	t.like(after.find((e) => e.event === 'reconciled-module'), {
		kernelModule: loaded.module, session: sessionId, ownerPid: loaded.pid, action: 'removed',
		reason: `its loader (taprun pid ${loaded.pid}) is gone: session ${sessionId} was left by a previous agent`,
	});
	const info = sessions!.find((s) => s.sessionId === sessionId);
	t.like(info, { state: 'finished', exit: { reason: 'agent restarted' } });
	// and its record says what became of the module
	const follow = await fleet.tapfleet(['attach', sessionId, '--host', fleet.host, '--pki', fleet.pki]);
	t.regex(follow.stderr, new RegExp(`its kernel module ${loaded.module} was left loaded and has been removed`), follow.stderr);
});
