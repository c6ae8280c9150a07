// `tapfleet run` through a warm runner (cli/warm/): real CLI processes, real
// runners on their sockets, real BPF runs on this kernel. Every run is
// compared with the same command run by the CLI in its own process
// (TAPFLEET_WARM_KEEP=0): output, messages and exit status must not differ.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tapfleet } from '../parse/helpers.js';
import { until } from '../agent/helpers.js';
import { makeTestDb } from '../audit/helpers/backends.js';
import { stopWarmRunners, warmRunnerLog, warmRunnerPids } from './warm-helpers.js';

const HELLO = 'probe begin { println("hello world") exit() }';

interface Ran {
	pid: number;
	status: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** An environment of its own (state directory, so its own runner), runners kept for `keep` seconds. */
function warmEnv(keep = '120', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	return { ...process.env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'tapfleet-warm-')), TAPFLEET_WARM_KEEP: keep, ...extra };
}

const coldEnv = (env: NodeJS.ProcessEnv) => ({ ...env, TAPFLEET_WARM_KEEP: '0' });
const runnersDir = (env: NodeJS.ProcessEnv) => join(env.XDG_STATE_HOME!, 'tapfleet', 'runners');
const sockets = (env: NodeJS.ProcessEnv) => (existsSync(runnersDir(env)) ? readdirSync(runnersDir(env)).filter((n) => n.endsWith('.sock')) : []);
const runnerLog = (env: NodeJS.ProcessEnv) => warmRunnerLog(env.XDG_STATE_HOME!);
const servedWarm = (env: NodeJS.ProcessEnv, pid: number) => runnerLog(env).includes(`served a run for pid ${pid}:`);

function start(args: string[], env: NodeJS.ProcessEnv, onStdout?: (all: string, child: ReturnType<typeof spawn>) => void): { child: ReturnType<typeof spawn>; done: Promise<Ran> } {
	const child = spawn(tapfleet, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (d: Buffer) => {
		stdout += d.toString('latin1');
		onStdout?.(stdout, child);
	});
	child.stdout!.on('error', () => {});
	child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
	const done = new Promise<Ran>((resolve) => child.on('close', (status, signal) => resolve({ pid: child.pid!, status, signal, stdout, stderr })));
	return { child, done };
}

const runIn = (args: string[], env: NodeJS.ProcessEnv) => start(args, env).done;

/** A run whose client gets SIGINT `delayMs` after the run printed "started" (a begin probe's line). */
const interruptOnceStarted = (args: string[], env: NodeJS.ProcessEnv, delayMs: number) =>
	start(args, env, (out, child) => {
		if (out === 'started\n') setTimeout(() => child.kill('SIGINT'), delayMs);
	}).done;

/** A first run (which starts the runner) and the wait until the runner listens; the runner is stopped when the test ends. */
async function withRunner(t: { teardown: (f: () => void) => void }, env: NodeJS.ProcessEnv): Promise<void> {
	t.teardown(() => stopRunners(env));
	const first = await runIn(['run', '-e', HELLO], env);
	if (first.status !== 0) throw new Error(`the first run failed: ${first.stderr}`);
	await until('the runner listening', () => (sockets(env).length > 0 && runnerLog(env).includes(': serving on ') ? true : undefined), 60_000);
}

const stopRunners = (env: NodeJS.ProcessEnv) => stopWarmRunners(env.XDG_STATE_HOME!);

/** The same interrupted run through the runner and in its own process: both printed the begin and end probes' lines, with the same status. */
async function interruptedBothWays(t: ExecutionContext, env: NodeJS.ProcessEnv, args: string[], delayMs: number): Promise<{ warm: Ran; cold: Ran }> {
	const warm = await interruptOnceStarted(args, env, delayMs);
	const cold = await interruptOnceStarted(args, coldEnv(env), delayMs);
	t.true(servedWarm(env, warm.pid));
	t.is(warm.stdout, 'started\nended\n', warm.stderr);
	t.is(warm.stdout, cold.stdout);
	t.is(warm.status, cold.status);
	return { warm, cold };
}

test('the first run starts a runner; later runs are served by it, with the CLI\'s own output, messages and exit status', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	t.regex(runnerLog(env), /warm-runner \d+: serving on .*runners\/[0-9a-f]{32}\.sock, idle limit 120000 ms/);
	const cases: string[][] = [
		['run', '-e', HELLO],
		// a script that does not compile: stap's located message, status 1
		['run', '-e', 'probe begin { x = }'],
		// script arguments and -T: the run stops by time, end probes run
		['run', '-T', '1', '-e', 'global n probe timer.ms(50) { n++ } probe end { printf("%s %d\\n", @1, n > 2) }', 'arg'],
		// an option error from commander
		['run', '--no-such-option'],
		['run', '--help'],
		// ~2.8 MB of output: many frames, a pipe that fills
		['run', '-DMAXACTION=1000000', '-e', 'probe begin { for (i = 0; i < 50000; i++) printf("%d a line of output of some length to fill the frames\\n", i); exit() }'],
	];
	for (const args of cases) {
		const warm = await runIn(args, env);
		const cold = await runIn(args, coldEnv(env));
		t.true(servedWarm(env, warm.pid), `${args.join(' ')}: served by the runner`);
		t.false(servedWarm(env, cold.pid));
		t.is(warm.stdout, cold.stdout, args.join(' '));
		t.is(warm.stderr, cold.stderr, args.join(' '));
		t.is(warm.status, cold.status, args.join(' '));
	}
});

test('Ctrl-C reaches the run in the runner: end probes run and print, as in the CLI', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const script = 'probe begin { println("started") } probe end { println("ended") }';
	const { warm, cold } = await interruptedBothWays(t, env, ['run', '-e', script], 0);
	t.is(warm.stderr, cold.stderr);
	t.regex(warm.stderr, /unloading everywhere \(end probes run\)/);
});

test('a client killed mid-run takes its run with it, as a killed CLI does; the next run starts a new runner', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const { done } = start(['run', '-e', 'probe begin { println("started") } probe timer.s(60) { exit() }'], env, (out, child) => {
		if (out === 'started\n') child.kill('SIGKILL');
	});
	const killed = await done;
	t.is(killed.signal, 'SIGKILL');
	await until('the runner stopped', () => (runnerLog(env).includes(`stopped during a run for pid ${killed.pid}: SIGHUP with no handler`) ? true : undefined), 30_000);
	const after = await runIn(['run', '-e', HELLO], env);
	t.is(after.stdout, 'hello world\n', after.stderr);
	await until('a new runner', () => ((runnerLog(env).match(/serving on/g) ?? []).length === 2 ? true : undefined), 60_000);
	const again = await runIn(['run', '-e', HELLO], env);
	t.true(servedWarm(env, again.pid));
	t.is(again.stdout, 'hello world\n');
});

test('output closed early (`| head -1`): the run stops quietly, as in the CLI', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const headOne = async (e: NodeJS.ProcessEnv) => {
		const { done } = start(['run', '-e', 'probe timer.ms(5) { println("line") }'], e, (out, child) => {
			if (out.includes('\n')) child.stdout!.destroy();
		});
		return done;
	};
	const warm = await headOne(env);
	const cold = await headOne(coldEnv(env));
	t.true(servedWarm(env, warm.pid));
	t.is(warm.status, cold.status, warm.stderr);
	t.is(warm.stderr, cold.stderr);
});

test('runs at once: one at a time in the runner, the others in their own processes, every output whole', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const script = 'global n probe timer.ms(20) { if (++n == 20) exit() } probe end { printf("%s done\\n", @1) }';
	const runs = await Promise.all(['a', 'b', 'c'].map((w) => runIn(['run', '-e', script, w], env)));
	for (const [i, r] of runs.entries()) {
		t.is(r.stdout, `${'abc'[i]} done\n`, r.stderr);
		t.is(r.status, 0);
	}
	// the idle runner takes one; one that found it busy runs itself (its JS side may find it free again by then)
	t.true(runs.some((r) => servedWarm(env, r.pid)));
});

test('another environment has a runner of its own; the same environment is served by its runner', async (t) => {
	const env = warmEnv('120', { TAPFLEET_TEST_SETTING: 'one' });
	await withRunner(t, env);
	const other = { ...env, TAPFLEET_TEST_SETTING: 'two' };
	const r = await runIn(['run', '-e', HELLO], other);
	t.false(servedWarm(env, r.pid), 'not served by the runner of another environment');
	await until('a second runner', () => (sockets(env).length === 2 ? true : undefined), 60_000);
	// PWD and the like change from command to command: not another environment
	const moved = await runIn(['run', '-e', HELLO], { ...env, PWD: '/', OLDPWD: '/tmp', SHLVL: '7' });
	t.true(servedWarm(env, moved.pid));
	t.is(moved.stdout, 'hello world\n');
});

test('TAPFLEET_WARM_KEEP: 0 starts no runner; a value that is not whole seconds in range is refused by name', async (t) => {
	const off = warmEnv('0');
	const r = await runIn(['run', '-e', HELLO], off);
	t.is(r.stdout, 'hello world\n');
	t.deepEqual(sockets(off), []);
	for (const bad of ['abc', '-1', '1.5', '86401']) {
		const refused = await runIn(['run', '-e', HELLO], warmEnv(bad));
		t.is(refused.status, 1, bad);
		t.is(refused.stdout, '');
		t.is(refused.stderr, `tapfleet run: TAPFLEET_WARM_KEEP=${bad}: give the seconds a warm runner stays after the last run, 0 to 86400 (0: no runner)\n`);
	}
});

test('a library file edited while the runner lives: the next run through it reads the new one', async (t) => {
	const env = warmEnv();
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-warm-tapset-'));
	const macros = join(dir, 'answer.stpm');
	writeFileSync(macros, '@define answer %( 1 %)\n');
	await withRunner(t, env);
	const args = ['run', '-I', dir, '-e', 'probe begin { println(@answer) exit() }'];
	const before = await runIn(args, env);
	const again = await runIn(args, env);
	t.is(before.stdout, '1\n', before.stderr);
	t.is(again.stdout, '1\n');
	t.true(servedWarm(env, again.pid));
	writeFileSync(macros, '@define answer %( 2 %)\n');
	utimesSync(macros, new Date(), new Date(Date.now() + 5000));
	// inotify's event reaches the runner between runs
	await new Promise((r) => setTimeout(r, 200));
	const after = await runIn(args, env);
	t.true(servedWarm(env, after.pid));
	t.is(after.stdout, '2\n', after.stderr);
});

test('a runner stops once idle for TAPFLEET_WARM_KEEP seconds, and removes its socket', async (t) => {
	const env = warmEnv('1');
	t.teardown(() => stopRunners(env));
	const first = await runIn(['run', '-e', HELLO], env);
	t.is(first.status, 0, first.stderr);
	// (not withRunner: a loaded machine may see this runner start and, a second later, stop before its socket is looked at)
	await until('the runner serving', () => (runnerLog(env).includes(': serving on ') ? true : undefined), 60_000);
	await until('the runner idle and gone', () => (runnerLog(env).includes('stopped: idle') && sockets(env).length === 0 ? true : undefined), 30_000);
	t.pass();
});

test('-c through the runner: the client starts the command with its own terminal; target(), the command\'s output and its exit are as in the CLI', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const cases: string[][] = [
		// the command's own output reaches the client's stdout; the run ends when it exits
		['run', '-c', 'sh -c "echo from-the-command; sleep 0.3"', '-e', 'probe timer.s(60) { exit() } probe end { println("ended") }'],
		// a simple command is exec'd: target() is its pid
		['run', '-c', 'true', '-e', 'probe kernel.trace("syscalls:sys_enter_exit_group") { if (pid() == target()) println("the target exits") }'],
		// a command that cannot run: sh says so, the run ends
		['run', '-c', '/no/such/program', '-e', 'probe end { println("ended") }'],
	];
	for (const args of cases) {
		const warm = await runIn(args, env);
		const cold = await runIn(args, coldEnv(env));
		t.true(servedWarm(env, warm.pid), args.join(' '));
		t.is([...warm.stdout.split('\n')].sort().join('\n'), [...cold.stdout.split('\n')].sort().join('\n'), args.join(' '));
		t.is(warm.stderr, cold.stderr, args.join(' '));
		t.is(warm.status, cold.status, args.join(' '));
	}
	const target = await runIn(cases[1]!, env);
	t.is(target.stdout, 'the target exits\n');
	// the JS client does not start commands: it leaves -c to its own process
	const viaJs = await new Promise<number>((resolve) => {
		const child = spawn(process.execPath, [tapfleet, ...cases[1]!], { env, stdio: 'ignore' });
		child.on('close', () => resolve(child.pid!));
	});
	t.false(servedWarm(env, viaJs));
});

test('-c and Ctrl-C through the runner: end probes run, the command is stopped, as in the CLI', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const args = ['run', '-c', 'sleep 60', '-e', 'probe begin { println("started") } probe end { println("ended") }'];
	await interruptedBothWays(t, env, args, 200);
});

test('a runners directory that others can enter is not trusted with a run', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	chmodSync(runnersDir(env), 0o755);
	const r = await runIn(['run', '-e', HELLO], env);
	t.is(r.stdout, 'hello world\n');
	t.false(servedWarm(env, r.pid));
	mkdirSync(runnersDir(env), { recursive: true });
});

test('the C client (bin/tapfleet run as a program) and the JS one (node bin/tapfleet) find the same runner, non-ASCII environment included', async (t) => {
	const env = warmEnv('120', { TAPFLEET_TEST_SETTING: 'héllo wörld ✓ 日本' });
	await withRunner(t, env);
	const viaC = await runIn(['run', '-e', HELLO], env);
	const viaJs = await new Promise<Ran>((resolve) => {
		const child = spawn(process.execPath, [tapfleet, 'run', '-e', HELLO], { env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d));
		child.on('close', (status, signal) => resolve({ pid: child.pid!, status, signal, stdout, stderr: '' }));
	});
	for (const r of [viaC, viaJs]) {
		t.true(servedWarm(env, r.pid));
		t.is(r.stdout, 'hello world\n');
	}
	t.is(sockets(env).length, 1);
});

test('a runner that does not answer (stopped): one run waits for it, then runs itself and removes its socket; the next starts a new runner', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const pid = warmRunnerPids(env.XDG_STATE_HOME!)[0]!;
	process.kill(pid, 'SIGSTOP');
	t.teardown(() => {
		try {
			process.kill(pid, 'SIGCONT');
		} catch {
			// gone
		}
	});
	const waited = await runIn(['run', '-e', HELLO], env);
	t.is(waited.stdout, 'hello world\n', waited.stderr);
	t.false(servedWarm(env, waited.pid));
	await until('a new runner', () => ((runnerLog(env).match(/serving on/g) ?? []).length === 2 && sockets(env).length === 1 ? true : undefined), 60_000);
	const next = await runIn(['run', '-e', HELLO], env);
	t.true(servedWarm(env, next.pid));
	// the stopped one, once it runs again, finds its socket taken and stops
	process.kill(pid, 'SIGCONT');
	await until('the old runner stopped', () => (runnerLog(env).includes(`warm-runner ${pid}: stopped: its socket was removed or taken over`) ? true : undefined), 30_000);
	// the request its client gave up on, still in its socket, was not run (the command ran once, in the client's process)
	t.false(runnerLog(env).includes(`for pid ${waited.pid}`));
});

test('a runner stops after TAPFLEET_WARM_RUNS runs and the next run starts a fresh one; a value out of range is refused by name', async (t) => {
	const env = warmEnv('120', { TAPFLEET_WARM_RUNS: '2' });
	await withRunner(t, env);
	const served = [await runIn(['run', '-e', HELLO], env), await runIn(['run', '-e', HELLO], env)];
	for (const r of served) t.true(servedWarm(env, r.pid));
	await until('the runner retired', () => (runnerLog(env).includes(': stopped: served 2 runs') ? true : undefined), 30_000);
	const next = await runIn(['run', '-e', HELLO], env);
	t.false(servedWarm(env, next.pid));
	t.is(next.stdout, 'hello world\n');
	await until('a fresh runner', () => ((runnerLog(env).match(/serving on/g) ?? []).length === 2 && sockets(env).length === 1 ? true : undefined), 60_000);
	for (const bad of ['0', 'x', '1000001']) {
		const refused = await runIn(['run', '-e', HELLO], warmEnv('120', { TAPFLEET_WARM_RUNS: bad }));
		t.is(refused.status, 1, bad);
		t.is(refused.stderr, `tapfleet run: TAPFLEET_WARM_RUNS=${bad}: give the runs a warm runner serves before a new one takes over, 1 to 1000000\n`);
	}
});

test('a PostgreSQL audit log is held open by the runner: its runs are recorded on the same unbroken chain as the others', async (t) => {
	const db = await makeTestDb('postgres');
	t.teardown(() => db.dispose());
	const env = warmEnv('120', { TAPFLEET_AUDIT_DB: db.spec });
	await withRunner(t, env);
	const runs = [await runIn(['run', '-e', HELLO], env), await runIn(['run', '-e', HELLO], env), await runIn(['run', '-e', HELLO], coldEnv(env))];
	t.deepEqual(runs.map((r) => servedWarm(env, r.pid)), [true, true, false]);
	for (const r of runs) t.is(r.stdout, 'hello world\n', r.stderr);
	// the runner's connection, open between runs
	const held = await db.raw("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'");
	t.true(Number(held[0]!.n) >= 1);
	const list = await runIn(['audit', 'list', '--audit-db', db.spec], coldEnv(env));
	t.is(list.status, 0, list.stderr);
	t.is((list.stdout.match(/\bexit\b/g) ?? []).length >= 4, true, list.stdout);
	const verify = await runIn(['audit', 'verify', '--audit-db', db.spec], coldEnv(env));
	t.is(verify.status, 0, verify.stdout + verify.stderr);
});

test('files a run makes have the permissions the client\'s umask gives them, not the runner\'s', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-warm-umask-'));
	const modes: number[] = [];
	for (const [i, e] of [env, coldEnv(env)].entries()) {
		const out = join(dir, `out${i}`);
		const r = await new Promise<Ran>((resolve) => {
			const child = spawn('/bin/sh', ['-c', `umask 027; exec ${tapfleet} run -o ${out} -e 'probe begin { println("x") exit() }'`], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
			let stderr = '';
			child.stderr.on('data', (d: Buffer) => (stderr += d));
			child.on('close', (status, signal) => resolve({ pid: child.pid!, status, signal, stdout: '', stderr }));
		});
		t.is(r.status, 0, r.stderr);
		t.is(readFileSync(out, 'utf8'), 'x\n');
		modes.push(statSync(out).mode & 0o777);
		if (i === 0) t.true(servedWarm(env, r.pid));
	}
	t.deepEqual(modes, [0o640, 0o640]);
});

test('between runs a runner is in /, not in the last run\'s directory (which may have to be unmounted)', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-warm-cwd-'));
	const r = await new Promise<Ran>((resolve) => {
		const child = spawn(tapfleet, ['run', '-e', HELLO], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d));
		child.on('close', (status, signal) => resolve({ pid: child.pid!, status, signal, stdout, stderr: '' }));
	});
	t.true(servedWarm(env, r.pid));
	const pid = warmRunnerPids(env.XDG_STATE_HOME!)[0]!;
	await until('the runner back in /', () => (readlinkSync(`/proc/${pid}/cwd`) === '/' ? true : undefined), 10_000);
	t.pass();
});

test('a SQLite audit log is held by the runner: runs through it and others share one unbroken chain; a log file removed meanwhile is made anew, not written unseen', async (t) => {
	const env = warmEnv();
	await withRunner(t, env);
	const db = join(env.XDG_STATE_HOME!, 'tapfleet', 'audit.db');
	const runs = [await runIn(['run', '-e', HELLO], env), await runIn(['run', '-e', HELLO], coldEnv(env)), await runIn(['run', '-e', HELLO], env)];
	t.deepEqual(runs.map((r) => servedWarm(env, r.pid)), [true, false, true]);
	const listed = async () => {
		const l = await runIn(['audit', 'list'], coldEnv(env));
		t.is(l.status, 0, l.stderr);
		return (l.stdout.match(/\bexit\b/g) ?? []).length;
	};
	// the first run (it started the runner) and these three
	t.is(await listed(), 4);
	const verify = await runIn(['audit', 'verify'], coldEnv(env));
	t.is(verify.status, 0, verify.stdout + verify.stderr);
	for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
	const after = await runIn(['run', '-e', HELLO], env);
	t.true(servedWarm(env, after.pid));
	t.is(await listed(), 1, 'the run after the removal is in the new log');
});
