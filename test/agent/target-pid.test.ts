// `tapfleet run --host H -x PID`: target() is a process of that host. The
// agent checks that it exists at the load (else FAILED_PRECONDITION, nothing
// loaded), passes it to taprun, and records it in its journal; the audit
// records it with the run's options. Real agents over mutual TLS, real
// modules, real processes.
import test from 'ava';
import { spawn } from 'node:child_process';
import { inProcessAgent, readJournal, runCli, tempDir, testPki } from './helpers.js';

const cli = (args: string[]) => runCli(args, process.env, 300_000);

/** A process that makes system calls until killed (sh waits for each sleep). */
function busyProcess(): { pid: number; stop: () => void } {
	const child = spawn('sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore' });
	return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

test('-x PID with --host: target() in begin and kernel-side probes is that process; the journal and the audit say so', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a0');
	t.teardown(() => agent.stop());
	const target = busyProcess();
	t.teardown(target.stop);
	const db = `${tempDir('audit')}/audit.db`;

	const script = 'probe begin { printf("target %d\\n", target()) } probe kernel.trace("raw_syscalls:sys_enter") { if (pid() == target()) { println("seen"); exit() } }';
	const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db, '-x', String(target.pid), '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `target ${target.pid}\nseen\n`);

	const loaded = readJournal(agent.stateDir).find((l) => l.event === 'loaded');
	t.is(loaded?.targetPid, target.pid);
	const audit = await cli(['audit', '--json', '--audit-db', db]);
	const run = JSON.parse(audit.stdout.trim().split('\n').find((l) => l.includes('"kind":"run"'))!);
	const shown = JSON.parse((await cli(['audit', 'show', run.runId, '--json', '--audit-db', db])).stdout);
	t.is(shown.options.targetPid, target.pid);
});

test('-x PID of no process on the agent\'s host: refused at the load (FAILED_PRECONDITION), nothing runs', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a1');
	t.teardown(() => agent.stop());
	// a pid that was a process a moment ago
	const gone = busyProcess();
	gone.stop();
	await new Promise((resolve) => setTimeout(resolve, 200));

	const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '-x', String(gone.pid), '-e', 'probe begin { println("ran") exit() }']);
	t.is(r.status, 1);
	t.is(r.stdout, '');
	t.regex(r.stderr, new RegExp(`load refused: FAILED_PRECONDITION: target process ${gone.pid}: no such process on host "[^"]+"`));
	t.false(readJournal(agent.stateDir).some((l) => l.event === 'loaded'));
});

test('-x mistakes: not a pid, two hosts, with -c: one line each, status 1, before anything loads', async (t) => {
	const cases: [string[], RegExp][] = [
		[['--host', '127.0.0.1:1', '-x', '12ab'], /^tapfleet run: -x "12ab": expected a process id$/m],
		[['--host', '127.0.0.1:1', '-x', '0'], /^tapfleet run: -x "0": expected a process id$/m],
		[['--host', '127.0.0.1:1', '-x', '99999999'], /^tapfleet run: -x "99999999": expected a process id$/m],
		[['--host', '127.0.0.1:1', '--host', '127.0.0.1:2', '-x', '1'], /^tapfleet run: -x 1 names a process of one host: give one --host, not 2$/m],
		[['--host', '127.0.0.1:1', '-x', '1', '-c', 'true'], /^tapfleet run: -c and -x both name the target process: give one of them$/m],
		[['--host', '127.0.0.1:1', '-o', '/tmp/x', '--detach'], /^tapfleet run: -o with --detach: a detached run streams no output \(`tapfleet attach` does\)$/m],
	];
	for (const [args, message] of cases) {
		const r = await cli(['run', ...args, '-e', 'probe begin { exit() }']);
		t.is(r.status, 1, args.join(' '));
		t.regex(r.stderr, message, args.join(' '));
		t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
	}
});
