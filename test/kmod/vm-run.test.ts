// The kmod runtime for real: hand-written kmod modules, kbuilt here against
// the test VM kernel's tree, run by taprun inside the VM (Debian's 6.1
// kernel under qemu). Session-probe fixtures print exactly what the bpf
// runtime prints for the same module source on this host.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gnuBuildIdOfElfFile } from '../../controller/profile/elf-notes.js';
import { buildFixtureModule, taprunPath } from '../fixtures/modules/build-module.js';
import { buildBpfVariant, buildKmodFixture } from '../fixtures/kmod/build-kmod-module.js';
import { guestExec, Payload, prepareVm, VmHost } from '../vm/vm-host.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-kmod-'));
const payload = new Payload();
let vm: VmHost;
let shell: number;
let buildId = '';

/** The build-id with its first byte changed: a kernel build the VM does not run. */
function otherBuildId(id: string): string {
	const first = (parseInt(id.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, '0');
	return first + id.slice(2);
}

/** Copies a module directory into the payload as /payload/m/LABEL. */
function addModule(dir: string, label: string): void {
	mkdirSync(join(payload.dir, 'm', label), { recursive: true });
	for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(payload.dir, 'm', label, f));
}

test.before(async (t) => {
	t.timeout(900_000, 'first prepare downloads the kernel image; kbuild of 10 modules (slow beside the rest of the suite); boot');
	const kernel = await prepareVm();
	buildId = gnuBuildIdOfElfFile(kernel.vmlinux) ?? '';
	const target = { tree: kernel.tree, release: kernel.release, buildId };
	const names = ['hello', 'ticks', 'vfsread', 'exec', 'arrays', 'kdiv0', 'kstats', 'kprofile', 'opens'];
	const dirs = await Promise.all([
		...names.map((name) => buildKmodFixture(name, join(work, 'kmod'), target)),
		buildKmodFixture('hello', join(work, 'wrong'), { ...target, buildId: otherBuildId(buildId) }),
	]);
	names.forEach((name, i) => addModule(dirs[i]!, name));
	addModule(dirs[names.length]!, 'wrong-build');
	// taprun and the shared libraries it needs beyond Node's (the guest has glibc)
	payload.addFile(taprunPath, 'taprun', 0o755);
	for (const lib of ['libbpf.so.1', 'libelf.so.1', 'libz.so.1']) payload.addFile(join('/lib/x86_64-linux-gnu', lib), lib);
	shell = payload.addGuestShell();
	vm = await VmHost.boot({ payload });
});

test.after.always(async () => {
	await vm?.shutdown();
	payload.remove();
	rmSync(work, { recursive: true, force: true });
});

/** Runs a shell command in the guest with taprun on its PATH. */
const sh = (cmd: string) => guestExec(vm.ports[shell]!, ['sh', '-c', `export PATH=/payload:$PATH LD_LIBRARY_PATH=/payload; ${cmd}`], 120_000);

/** What the bpf runtime prints for the same fixture here on this host. */
async function bpfOutput(name: string, args: string[]): Promise<string> {
	const dir = await buildFixtureModule(name, join(work, 'bpf'));
	return execFileSync(taprunPath, [...args, dir], { encoding: 'utf8' });
}

const loadedTapfleetModules = async () => (await sh('cat /proc/modules')).stdout.toString().split('\n').filter((l) => l.startsWith('tapfleet_'));

test.serial('hello world: the same output as the bpf runtime, and the module is gone afterwards', async (t) => {
	const r = await sh('taprun /payload/m/hello');
	t.is(r.stderr, '');
	t.is(r.status, 0);
	t.is(r.stdout.toString(), await bpfOutput('hello', []));
	t.is(r.stdout.toString(), 'hello world\n');
	t.deepEqual(await loadedTapfleetModules(), []);
});

test.serial('a timer probe (hrtimer) with -T: the same output as the bpf runtime', async (t) => {
	const r = await sh('taprun -T 1 /payload/m/ticks');
	t.is(r.stderr, '');
	t.is(r.status, 0);
	t.is(r.stdout.toString(), await bpfOutput('ticks', ['-T', '0.5']));
	t.is(r.stdout.toString(), 'started\nend: ticked yes\n');
});

test.serial('kprobe and kretprobe on vfs_read: the count and $return printed in end', async (t) => {
	const r = await sh('taprun -T 1 /payload/m/vfsread');
	t.is(r.stderr, '');
	t.is(r.status, 0);
	t.regex(r.stdout.toString(), /^vfs_read: [1-9][0-9]* calls, [1-9][0-9]* bytes\n$/);
});

test.serial('timer.profile as a cpu-clock perf event on every CPU; exit() in a kernel-side probe stops the session', async (t) => {
	const r = await sh('taprun -j /payload/m/kprofile');
	t.is(r.stdout.toString(), 'profile: 3 hits, then exit()\n');
	t.regex(r.stderr, /{"type":"stopping","reason":"exit"}\n/);
	t.is(r.status, 0);
});

test.serial('a tracepoint with an argument: sched_process_exec counts exactly the execs made, stopped by SIGINT', async (t) => {
	// -j: the "started" event says every probe is registered
	const r = await sh('taprun -j /payload/m/exec >/tmp/exec.out 2>/tmp/exec.err & ' + 'until grep -q started /tmp/exec.err; do sleep 0.1; done; ' + '/bin/true; /bin/true; /bin/true; kill -INT $!; wait $!; echo status $?; cat /tmp/exec.out /tmp/exec.err');
	const out = r.stdout.toString();
	t.regex(out, /^status 0\ntrue ran 3 times\n/);
	t.regex(out, /{"type":"stopping","reason":"signal"}/);
	t.regex(out, /{"type":"summary","errors":0,"skipped":0,"lost":0,"status":0}\n$/);
});

test.serial('syscall.openat through the sys_enter tracepoint: user_string() of the real file names cat opens', async (t) => {
	const r = await sh('taprun -j /payload/m/opens >/tmp/opens.out 2>/tmp/opens.err & ' + 'until grep -q started /tmp/opens.err; do sleep 0.1; done; ' + 'cat /payload/m/hello/manifest.json >/dev/null; cat /no/such/file 2>/dev/null; kill -INT $!; wait $!; echo status $?; cat /tmp/opens.out');
	t.is(r.stdout.toString(), 'status 0\ncat opens /payload/m/hello/manifest.json\ncat opens /no/such/file\n');
});

test.serial('arrays: set, +=, sorted foreach with limit, delete, in; a sized array overflows with stap\'s error, then error probes', async (t) => {
	const r = await sh('taprun /payload/m/arrays');
	t.is(r.stdout.toString(), 'x=6\ny=3\ny in a: 0, x in a: 1\nerror probe ran\n');
	t.is(r.stderr, "ERROR: Array overflow, check size limit (2) near identifier 'small' at arrays.stp:8:31\nWARNING: Number of errors: 1, skipped probes: 0\n");
	t.is(r.status, 1);
});

test.serial('arrays: bpf prints and reports the same for the same module source', async (t) => {
	const r = await sh('taprun /payload/m/arrays');
	const bpf = spawnSync(taprunPath, [await buildBpfVariant('arrays', join(work, 'bpf'))], { encoding: 'utf8' });
	t.is(r.stdout.toString(), bpf.stdout);
	t.is(r.stderr, bpf.stderr);
	t.is(r.status, bpf.status);
});

test.serial('statistics: <<<, @count @sum @min @max @avg @variance, @hist_log, a statistics array in foreach: as bpf prints them', async (t) => {
	const r = await sh('taprun /payload/m/kstats');
	t.is(r.stderr, '');
	t.is(r.status, 0);
	const bpf = execFileSync(taprunPath, [await buildBpfVariant('kstats', join(work, 'bpf'))], { encoding: 'utf8' });
	t.is(r.stdout.toString(), bpf);
	t.regex(bpf, /^count=5 sum=1121 min=1 max=1000 avg=224 variance=\d+\nvalue \|-+ count\n/);
	t.regex(bpf, /\na: 2\/7\nb: 1\/5\n$/);
});

test.serial('-D MAXMAPENTRIES=2 at load: the third key of an unsized array overflows', async (t) => {
	const r = await sh('taprun -D MAXMAPENTRIES=2 /payload/m/arrays');
	t.is(r.stdout.toString(), 'error probe ran\n');
	t.is(r.stderr, "ERROR: Array overflow, check MAXMAPENTRIES near identifier 'a' at arrays.stp:3:2\nWARNING: Number of errors: 1, skipped probes: 0\n");
	t.is(r.status, 1);
});

test.serial('a run-time error in a kernel-side probe (hrtimer): stap\'s message and location, error probes instead of end', async (t) => {
	const r = await sh('taprun /payload/m/kdiv0');
	t.is(r.stdout.toString(), 'error probe ran\n');
	t.is(r.stderr, "ERROR: division by 0 near operator '/' at kdiv0.stp:2:39\nWARNING: Number of errors: 1, skipped probes: 0\n");
	t.is(r.status, 1);
});

test.serial('-D MAXERRORS=2: the session stops at the third error; -j gives JSON lines', async (t) => {
	const r = await sh('taprun -j -D MAXERRORS=2 /payload/m/kdiv0');
	t.is(r.stdout.toString(), 'error probe ran\n');
	const error = '{"type":"error","message":"division by 0","location":"operator \'/\' at kdiv0.stp:2:39","probe":"timer.ms(10)"}\n';
	t.is(
		r.stderr,
		'{"type":"started"}\n' + error.repeat(3) + '{"type":"stopping","reason":"error"}\n' + '{"type":"warning","message":"Number of errors: 3, skipped probes: 0"}\n' + '{"type":"summary","errors":3,"skipped":0,"lost":0,"status":1}\n',
	);
	t.is(r.status, 1);
});

test.serial('the module refuses a kernel of another build at init, with SystemTap\'s message, and taprun reports it', async (t) => {
	const r = await sh('taprun /payload/m/wrong-build');
	t.is(r.status, 1);
	const want = buildId.slice(0, 2);
	const got = otherBuildId(buildId).slice(0, 2);
	t.is(r.stdout.toString(), '');
	t.true(r.stderr.startsWith(`ERROR: Build-id mismatch: "kernel" vs. "vmlinux" byte 0 (0x${want} vs 0x${got}): the running kernel is ${buildId}, this module was built for ${otherBuildId(buildId)}`), r.stderr);
	t.deepEqual(await loadedTapfleetModules(), []);
});

test.serial('a tapfleet module whose loader is gone is removed by the next taprun', async (t) => {
	const load = await sh('insmod /payload/m/vfsread/tapfleet_vfsread.ko');
	t.is(load.status, 0, load.stderr);
	t.is((await loadedTapfleetModules()).length, 1);
	const r = await sh('taprun /payload/m/hello');
	t.regex(r.stderr, /^WARNING: removed stale module tapfleet_vfsread \(its session, pid \d+, is gone\)\n$/);
	t.is(r.stdout.toString(), 'hello world\n');
	t.deepEqual(await loadedTapfleetModules(), []);
});
