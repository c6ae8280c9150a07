// taprun end to end on this host's kernel: the hand-written fixture modules
// (test/fixtures/modules, written as pass 3 will generate them) against
// activity each test generates itself. Serial: the fixtures trace every
// process named tapfixcat/tapfixdd, so two tests must not overlap.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtureModuleAsync, runtimeDir } from '../fixtures/modules/build-module.js';
import { Activity, TaprunProcess, runTaprun } from './helpers/taprun.js';
import { writeSizesHistLog } from './helpers/expected.js';

const modules: Record<string, string> = {};
let activity: Activity;

const fixtures = ['hello', 'counter', 'stats', 'printf', 'div0', 'ticks', 'trycatch', 'uprobe', 'profile', 'backtrace', 'loops', 'kforeach', 'abort', 'ksprintf', 'schedswitch', 'beginenderror', 'kquote', 'target'];

test.before(async () => {
	// only the parts taprun needs: other runtime-c parts are not this test's business
	for (const part of ['bpf', 'taprun']) execFileSync('make', ['-s', '-C', join(runtimeDir, part)], { stdio: ['ignore', 'ignore', 'inherit'] });
	const out = mkdtempSync(join(tmpdir(), 'taprun-modules-'));
	const builds: [string, () => Promise<string>][] = fixtures.map((name) => [name, () => buildFixtureModuleAsync(name, out)]);
	// build-time limits (tapfleet compile -D): taprun must follow the module's
	builds.push(['printf64', () => buildFixtureModuleAsync('printf', join(out, 'maxstringlen64'), { defines: { MAXSTRINGLEN: 64 } })]);
	builds.push(['stats20', () => buildFixtureModuleAsync('stats', join(out, 'histwidth20'), { defines: { HIST_WIDTH: 20 } })]);
	// a few at a time: each runs clang and cc in parallel
	for (let i = 0; i < builds.length; i += 3) {
		await Promise.all(builds.slice(i, i + 3).map(async ([key, build]) => (modules[key] = await build())));
	}
	activity = new Activity();
});

test.serial('hello world in begin, exit(): output, status 0, nothing on stderr', async (t) => {
	const r = await runTaprun([modules.hello!]);
	t.is(r.stdout, 'hello world\n');
	t.is(r.stderr, '');
	t.is(r.status, 0);
});

test.serial('tracepoint counter keyed by execname, printed sorted in end', async (t) => {
	const run = new TaprunProcess(['-j', modules.counter!]);
	await run.started();
	// enough opens to be in the top 10 even on a busy machine
	const file = activity.file('counted');
	activity.cat(new Array(2000).fill(file));
	const r = await run.stop('SIGINT');
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	t.is(lines.pop(), '', 'output ends with a newline');
	t.true(lines.length >= 1 && lines.length <= 10, 'foreach ... limit 10');
	t.true(lines.includes('tapfixcat: 2000'), `our process opened 2000 files:\n${r.stdout}`);
	const counts = lines.map((l) => {
		const m = /^(.+): (\d+)$/.exec(l);
		t.truthy(m, `line "${l}" is "name: count"`);
		return Number(m?.[2]);
	});
	t.deepEqual(counts, [...counts].sort((x, y) => y - x), 'sorted by count, descending');
	t.regex(r.stderr, /\{"type":"summary","errors":0,"skipped":0,"lost":0,"status":0\}\n$/);
});

test.serial('statistics of write sizes: aggregates and @hist_log printed as stap prints them', async (t) => {
	const run = new TaprunProcess(['-j', modules.stats!]);
	await run.started();
	activity.dd(1, 3);
	activity.dd(100, 2);
	activity.dd(4096, 5);
	const r = await run.stop('SIGTERM');
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'count=10 sum=20683 min=1 max=4096 avg=2068\n' + writeSizesHistLog);
});

test.serial('kernel-side printf with strings and numbers, formatted by the user side', async (t) => {
	const run = new TaprunProcess(['-j', modules.printf!]);
	await run.started();
	const a = activity.file('first');
	const b = activity.file('second');
	const pid = activity.cat([a, b]);
	const r = await run.stop('SIGHUP');
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `tapfixcat[${pid}] openat ${a} flags=0x0 |   42|ab    |A|010|\n` + `tapfixcat[${pid}] openat ${b} flags=0x0 |   42|ab    |A|010|\n`);
});

test.serial('division by zero in a kernel-side probe: stap message and location, error probes instead of end probes, status 1', async (t) => {
	const run = new TaprunProcess([modules.div0!]);
	const file = activity.file('div0');
	// the first open after attach fails the handler and stops the session
	while (run.child.exitCode === null) {
		activity.cat([file]);
		await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 100))]);
	}
	const r = await run.done;
	t.is(r.stdout, 'before\nerror probe ran\n');
	t.is(r.stderr, "ERROR: division by 0 near operator '/' at div0.stp:5:20\nWARNING: Number of errors: 1, skipped probes: 0\n");
	t.is(r.status, 1);
});

test.serial('the same error as JSON lines on stderr with -j', async (t) => {
	const run = new TaprunProcess(['-j', modules.div0!]);
	await run.started();
	activity.cat([activity.file('div0-json')]);
	const r = await run.done;
	const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
	t.deepEqual(events, [
		{ type: 'started' },
		{ type: 'error', message: 'division by 0', location: "operator '/' at div0.stp:5:20", probe: 'kernel.trace("syscalls:sys_enter_openat")' },
		{ type: 'stopping', reason: 'error' },
		{ type: 'warning', message: 'Number of errors: 1, skipped probes: 0' },
		{ type: 'summary', errors: 1, skipped: 0, lost: 0, status: 1 },
	]);
	t.is(r.status, 1);
});

test.serial('try/catch in a kernel-side probe: the catch variable gets the bare message, the handler goes on', async (t) => {
	const run = new TaprunProcess(['-j', modules.trycatch!]);
	await run.started();
	const file = activity.file('caught');
	activity.cat([file, file, file]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'caught: division by 0\n'.repeat(3) + 'caught: Array overflow, check size limit (2)\n');
});

test.serial('uprobe and uretprobe on a libc function, with $return', async (t) => {
	const run = new TaprunProcess(['-j', modules.uprobe!]);
	await run.started();
	activity.uname();
	activity.uname();
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'uname returned 0 in tapfixuname\n'.repeat(2) + 'calls: 2\n');
});

test.serial('timer.profile: a perf event on every CPU feeds a statistic', async (t) => {
	const r = await runTaprun(['-T', '1', modules.profile!]);
	t.is(r.stdout, 'sampled: yes\n');
	t.is(r.stderr, '');
	t.is(r.status, 0);
});

test.serial('a full ring buffer loses events and says how many, never silently', async (t) => {
	const run = new TaprunProcess(['-j', '-s', '1', modules.printf!]);
	await run.started();
	const file = activity.file('flood');
	const opens = 3000; // 3000 records of 1.6 KiB: more than a 1 MiB ring holds
	run.child.kill('SIGSTOP'); // taprun cannot drain meanwhile: the overflow is certain
	try {
		activity.cat(new Array(opens).fill(file));
	} finally {
		run.child.kill('SIGCONT');
	}
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	const printed = r.stdout.split('\n').filter((l) => l.includes(' openat ')).length;
	const lost = Number(/"type":"warning","message":"Lost (\d+) events \(ring buffer full; try -s\)"/.exec(r.stderr)?.[1]);
	t.true(printed > 0 && printed < opens, `printed ${printed}`);
	t.is(printed + lost, opens, r.stderr);
	t.regex(r.stderr, new RegExp(`"lost":${lost},"status":0\\}\n$`));
});

test.serial('taprun -D MAXMAPENTRIES=1: the second key overflows the array with stap\'s message', async (t) => {
	const run = new TaprunProcess(['-D', 'MAXMAPENTRIES=1', modules.counter!]);
	const file = activity.file('overflow');
	while (run.child.exitCode === null) {
		activity.cat([file]);
		await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 100))]);
	}
	const r = await run.done;
	t.is(r.stdout, '', 'no end probe after the error');
	t.regex(r.stderr, /^ERROR: Array overflow, check MAXMAPENTRIES near identifier 'opens' at counter\.stp:3:2\n/);
	t.regex(r.stderr, /WARNING: Number of errors: \d+, skipped probes: 0\n$/);
	t.is(r.status, 1);
});

test.serial('print_backtrace() in a tracepoint: kernel frames symbolised as stap prints them', async (t) => {
	const run = new TaprunProcess(['-j', modules.backtrace!]);
	await run.started();
	activity.cat([activity.file('traced')]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	const [first, ...frames] = r.stdout.trimEnd().split('\n');
	t.is(first, 'openat by tapfixcat:');
	t.true(frames.length >= 2 && frames.length <= 20, r.stdout);
	for (const f of frames) t.regex(f, /^ 0x[0-9a-f]{16} : [\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[[\w.]+\]$/);
	t.true(frames.some((f) => / : do_syscall_64\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kernel\]$/.test(f)), 'the syscall entry is on the stack');
});

test.serial('kernel-side loops through bpf_loop: a bounded for runs, an endless while hits MAXACTION', async (t) => {
	const run = new TaprunProcess([modules.loops!]);
	const file = activity.file('loops');
	while (run.child.exitCode === null) {
		activity.cat([file]);
		await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 100))]);
	}
	const r = await run.done;
	t.is(r.stdout, 'total 10\nerror probe\n');
	t.is(r.stderr, 'ERROR: MAXACTION exceeded near keyword at loops.stp:6:3\nWARNING: Number of errors: 1, skipped probes: 0\n');
	t.is(r.status, 1);
});

test.serial('kernel-side foreach, statistic reads and histogram printing combine every CPU', async (t) => {
	const run = new TaprunProcess(['-j', modules.kforeach!]);
	await run.started();
	const file = activity.file('kforeach');
	activity.cat([file, file, file, file]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(
		r.stdout,
		[
			'total 1 count 1 sum 1 min 1 max 1 avg 1',
			'total 3 count 2 sum 3 min 1 max 2 avg 1',
			'total 6 count 3 sum 6 min 1 max 3 avg 2',
			'total 10 count 4 sum 10 min 1 max 4 avg 2',
			'value |-------------------------------------------------- count',
			'    0 |                                                   0',
			'    1 |@                                                  1',
			'    2 |@@                                                 2',
			'    4 |@                                                  1',
			'    8 |                                                   0',
			'   16 |                                                   0',
			'',
			'after delete: 0',
			'',
		].join('\n'),
	);
});

test.serial('sprintf in a kernel-side handler through bpf_snprintf', async (t) => {
	const run = new TaprunProcess(['-j', modules.ksprintf!]);
	await run.started();
	activity.cat([activity.file('ksprintf')]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '[tapfixcat:7:42  |000ff|A]\n');
});

test.serial('kernel.trace("sched:sched_switch") with $prev_comm and $prev_pid', async (t) => {
	const run = new TaprunProcess(['-j', modules.schedswitch!]);
	await run.started();
	const pid = activity.sleep(0.1);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `tapfixcat switched out: yes\npid ${pid}\n`);
});

test('an error in begin: later begin and all end probes skipped, every error probe runs (err_beginenderror)', async (t) => {
	const r = await runTaprun([modules.beginenderror!]);
	t.is(r.stdout, 'ok begin\nok error\nok error(10)\n');
	t.is(
		r.stderr,
		[
			"ERROR: division by 0 near operator '/' at beginenderror.stp:4:46",
			"ERROR: division by 0 near operator '/' at beginenderror.stp:8:39",
			"ERROR: division by 0 near operator '/' at beginenderror.stp:8:39",
			'WARNING: Number of errors: 3, skipped probes: 0',
			'',
		].join('\n'),
	);
	t.is(r.status, 1);
});

test.serial('a module built with -DMAXSTRINGLEN=64: strings truncate at 63 bytes, records decode by the module\'s size', async (t) => {
	const run = new TaprunProcess(['-j', modules.printf64!]);
	await run.started();
	const long = activity.file('x'.repeat(100));
	const pid = activity.cat([long]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `tapfixcat[${pid}] openat ${long.slice(0, 63)} flags=0x0 |   42|ab    |A|010|\n`);
});

test.serial('a module built with -DHIST_WIDTH=20 prints 20-column histograms', async (t) => {
	const run = new TaprunProcess(['-j', modules.stats20!]);
	await run.started();
	activity.dd(100, 3);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(
		r.stdout,
		[
			'count=3 sum=300 min=100 max=100 avg=100',
			'value |-------------------- count',
			'   16 |                     0',
			'   32 |                     0',
			'   64 |@@@                  3',
			'  128 |                     0',
			'  256 |                     0',
			'',
			'',
		].join('\n'),
	);
});

test.serial('user_string_quoted, text_strn, substr and strpos on the kernel side as stap has them', async (t) => {
	const run = new TaprunProcess(['-j', modules.kquote!]);
	await run.started();
	const file = activity.file('q"\u00e9\tx\\y');
	activity.cat([file]);
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	const dir = file.slice(0, -'q"\u00e9\tx\\y'.length);
	// 10 characters fit text_strn(name, 12, 1); a cut drops 3 of them for "...
	t.is(r.stdout, `"${dir}q\\"\\u00E9\\tx\\\\y"\n"${file.slice(0, 7)}"...\n${file.slice(1, 4)}\n${file.indexOf('files/')} 0\n`);
});

test.serial('-x PID is target() on both sides', async (t) => {
	const file = activity.file('targeted');
	const held = activity.heldCat([file, file, file, file, file]);
	const run = new TaprunProcess(['-j', '-x', String(held.pid), modules.target!]);
	await run.started();
	await held.go();
	const r = await run.stop();
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `target ${held.pid}\nopens by target: 5\n`);
});

test.serial('-c CMD is target() on both sides: created before the load, run once the probes are attached (all its opens are counted), its end ends the session', async (t) => {
	const file = activity.file('commanded');
	// exec'd all the way (as heldCat: busybox needs the applet's name as argv[0]), so target() is tapfixcat itself
	const r = await runTaprun(['-c', `exec bash -c 'exec -a cat "$0" "$@"' ${join(activity.dir, 'tapfixcat')} ${file} ${file} ${file}`, modules.target!]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^target [1-9]\d*\nx\nx\nx\nopens by target: 3\n$/);
	t.is(r.stderr, '');
});

test.serial('-c: the time limit stops the command and what it started in its process group; with -x, a usage error', async (t) => {
	const marker = `sleep 62.${process.pid}`;
	const r = await runTaprun(['-T', '1', '-c', `${marker} & ${marker}; wait`, modules.ticks!]);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, /^started\nend: ticked yes\n$/);
	t.is(spawnSync('pgrep', ['-f', marker.replace(/\./g, '\\.')]).status, 1, 'no sleep is left');
	const both = await runTaprun(['-c', 'true', '-x', '1', modules.ticks!]);
	t.is(both.status, 1);
	t.regex(both.stderr, /^ERROR: -c and -x both name the target process: give one of them$/m);
});

test.serial('-c with a module that fails to load: the command never runs', async (t) => {
	const broken = mkdtempSync(join(tmpdir(), 'taprun-broken-'));
	execFileSync('cp', ['-r', `${modules.hello!}/.`, broken]);
	const manifest = JSON.parse(readFileSync(join(broken, 'manifest.json'), 'utf8'));
	const object = manifest.files.find((f: { role: string }) => f.role === 'bpf-object').name;
	writeFileSync(join(broken, object), 'not an ELF object');
	const witness = join(broken, 'ran');
	const r = await runTaprun(['-c', `touch ${witness}`, broken]);
	t.is(r.status, 1);
	t.regex(r.stderr, /^ERROR: /m);
	t.false(existsSync(witness), 'the command did not run');
});

test.serial('abort() leaves the handler at once; no later begin, no end probes', async (t) => {
	const r = await runTaprun([modules.abort!]);
	t.is(r.stdout, 'enter probe\n');
	t.is(r.stderr, '');
	t.is(r.status, 0);
});

test.serial('-T stops the session and runs the end probes; user-side timers tick', async (t) => {
	const r = await runTaprun(['-T', '1', modules.ticks!]);
	t.is(r.stdout, 'started\nend: ticked yes\n');
	t.is(r.stderr, '');
	t.is(r.status, 0);
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
	test.serial(`${signal} runs the end probes and exits 0`, async (t) => {
		const run = new TaprunProcess([modules.ticks!]);
		await run.until(() => run.stdout.startsWith('started\n'), 'begin output');
		const r = await run.stop(signal);
		t.regex(r.stdout, /^started\nend: ticked (yes|no)\n$/);
		t.is(r.stderr, '');
		t.is(r.status, 0);
	});
}

test.serial('-o FILE receives the output; stdout stays empty', async (t) => {
	const out = join(activity.dir, 'out.txt');
	const r = await runTaprun(['-o', out, modules.hello!]);
	t.is(r.stdout, '');
	t.is(readFileSync(out, 'utf8'), 'hello world\n');
	t.is(r.status, 0);
});

function badModule(manifest: string): string {
	const dir = mkdtempSync(join(tmpdir(), 'taprun-bad-'));
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'manifest.json'), manifest);
	return dir;
}

test('refuses a module for another runtime, garbage and missing modules, with clear messages', async (t) => {
	const kmod = JSON.parse(readFileSync(join(modules.hello!, 'manifest.json'), 'utf8')) as Record<string, unknown>;
	kmod.runtime = 'kmod';
	const cases: [string, string][] = [
		[badModule(JSON.stringify(kmod)), 'ERROR: manifest.json: a kmod module needs one file with role kernel-module\n'],
		[badModule(JSON.stringify({ ...kmod, runtime: 'nosuch' })), 'ERROR: module is for the nosuch runtime; taprun runs bpf and kmod modules\n'],
		[badModule('{"formatVersion": 1, "runtime": '), 'ERROR: manifest.json: not valid JSON (line 1: unexpected end of input)\n'],
		[badModule('[]'), 'ERROR: manifest.json: not a JSON object\n'],
		[badModule(JSON.stringify({ ...kmod, runtime: 'bpf', formatVersion: 7 })), 'ERROR: manifest.json: unsupported formatVersion (taprun reads version 1)\n'],
		[badModule(JSON.stringify({ ...kmod, runtime: 'bpf' })), 'ERROR: module file hello.bpf.o (role bpf-object) is missing\n'],
		[join(activity.dir, 'no-such-module'), `ERROR: cannot open ${join(activity.dir, 'no-such-module')}/manifest.json: No such file or directory\n`],
	];
	for (const [dir, message] of cases) {
		const r = await runTaprun([dir]);
		t.is(r.stderr, message);
		t.is(r.stdout, '');
		t.is(r.status, 1);
	}
});

test('command-line errors: build-time limits, unknown limits, bad values', async (t) => {
	const cases: [string[], string][] = [
		[['-D', 'MAXACTION=5', 'x'], 'ERROR: MAXACTION is fixed when the module is built (tapfleet compile -D NAME=VALUE)\n'],
		[['-D', 'NOSUCH=1', 'x'], "ERROR: unknown limit 'NOSUCH' (taprun -D knows MAXMAPENTRIES, MAXERRORS, MAXSKIPPED)\n"],
		[['-D', 'MAXERRORS=-1', 'x'], "ERROR: bad value in -D 'MAXERRORS=-1'\n"],
		[['-s', '3', 'x'], "ERROR: -s expects a power of two from 1 to 1024 (MiB), not '3'\n"],
		[['-T', '0', 'x'], "ERROR: -T expects a positive number of seconds, not '0'\n"],
		[['-x', 'abc', 'x'], "ERROR: -x expects a process id, not 'abc'\n"],
		[[], 'ERROR: no module directory given\n'],
	];
	for (const [args, message] of cases) {
		const r = await runTaprun(args);
		t.is(r.stderr, message + "Try 'taprun -h' for the usage.\n");
		t.is(r.status, 1);
	}
});
