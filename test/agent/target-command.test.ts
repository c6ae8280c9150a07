// `tapfleet run --host H -c CMD`: each host starts CMD for its session (taprun
// -c there), target() is its pid, it runs once the probes are attached, its
// end ends the session, and the session's end stops it. Running a command
// as the agent's user needs the caller's "commands" right. Real agents over
// mutual TLS, real modules, real processes.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { clientFor, inProcessAgent, readJournal, runCli, TAPFLEET, tempDir, testPki, until, writeModule } from './helpers.js';

const cli = (args: string[]) => runCli(args, process.env, 300_000);

/** A policy that grants the test controller the right to run commands. */
function commandsPolicy(): string {
	const policy = join(tempDir('policy'), 'policy.json');
	writeFileSync(policy, JSON.stringify({ identities: { controller: ['observe', 'operate', 'commands'] } }));
	return policy;
}

test('-c CMD with two --host: each host runs it once its probes are attached (its exec is seen), target() is its pid, its output is the host\'s, its end ends the session; the journal and the audit record it', async (t) => {
	const pki = await testPki();
	const policyPath = commandsPolicy();
	const agents = await Promise.all(['a0', 'a1'].map((name) => inProcessAgent(pki, name, { policyPath })));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const db = `${tempDir('audit')}/audit.db`;
	// no exit() and no -T: only the command's end ends these sessions
	const script = 'probe begin { printf("target %d\\n", target()) } probe syscall.execve { if (pid() == target()) printf("exec %s\\n", filename) }';
	const command = 'echo "out $$"; echo err >&2; exec /bin/true';
	const r = await cli(['run', '--pki', pki.dir, '--prefix', '--audit-db', db, ...agents.flatMap((a) => ['--host', a.address]), '-c', command, '-e', script]);
	t.is(r.status, 0, r.stderr);
	for (const agent of agents) {
		const host = agent.address;
		const lines = r.stdout.split('\n').filter((l) => l.startsWith(`${host}: `)).map((l) => l.slice(host.length + 2));
		const target = /^target (\d+)$/.exec(lines[0] ?? '')?.[1];
		t.truthy(target, r.stdout);
		t.true(lines.includes(`out ${target}`), r.stdout);
		t.true(lines.includes('exec "/bin/true"'), r.stdout);
		t.regex(r.stderr, new RegExp(`^${host.replace(/\./g, '\\.')}: err$`, 'm'));
		const loaded = readJournal(agent.stateDir).find((l) => l.event === 'loaded');
		t.is(loaded?.targetCommand, command);
	}
	const audit = await cli(['audit', '--json', '--audit-db', db]);
	const run = JSON.parse(audit.stdout.trim().split('\n').find((l) => l.includes('"kind":"run"'))!);
	const shown = JSON.parse((await cli(['audit', 'show', run.runId, '--json', '--audit-db', db])).stdout);
	t.is(shown.options.command, command);
});

test('-c with --host and -T: the time limit ends the session and stops the command and what it started', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a2', { policyPath: commandsPolicy() });
	t.teardown(() => agent.stop());
	const marker = `sleep 61.${process.pid}`;
	const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '-T', '1', '-c', `${marker} & ${marker}; wait`, '-e', 'probe end { println("ended") }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'ended\n');
	t.is(spawnSync('pgrep', ['-f', marker.replace(/\./g, '\\.')]).status, 1, 'no sleep is left');
});

test('-c with --host for a controller without the "commands" right: PERMISSION_DENIED naming the right, nothing runs, the refusal is journalled', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a3');
	t.teardown(() => agent.stop());
	const witness = join(tempDir('witness'), 'ran');
	const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '-c', `touch ${witness}`, '-e', 'probe begin { println("ran") }']);
	t.is(r.status, 1);
	t.is(r.stdout, '');
	t.regex(r.stderr, /load refused: PERMISSION_DENIED: identity "controller" may not run a target command \(-c\) with module "[^"]+": it lacks the right "commands" \(it has: observe, operate\); grant it in the agent's policy\.json/);
	t.false(spawnSync('test', ['-e', witness]).status === 0, 'the command did not run');
	t.true(readJournal(agent.stateDir).some((l) => l.event === 'refused' && l.code === 'PERMISSION_DENIED'));
	t.false(readJournal(agent.stateDir).some((l) => l.event === 'loaded'));
});

test('the agent\'s checks of a target command: 4096 bytes pass, 4097 do not; a NUL byte, only blanks, or with a target pid: INVALID_ARGUMENT', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a4', { policyPath: commandsPolicy() });
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	const dir = tempDir('mod');
	writeModule(dir);
	const upload = () => signedUpload(readModuleDir(dir), pki.signingKey);
	const options = { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: true, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };
	// what a controller checks first: an older agent would ignore the field and run the session without its command
	t.true((await client.hostInfo()).features.includes('target-command'));
	const longest = `: ${'x'.repeat(4094)}`;
	t.is(Buffer.byteLength(longest), 4096);
	t.truthy((await client.load(upload(), { ...options, targetCommand: longest })).sessionId);
	const refused: [Partial<typeof options>, RegExp][] = [
		[{ targetCommand: `${longest}x` }, /^the target command is longer than 4096 bytes$/],
		[{ targetCommand: 'true\0false' }, /^the target command contains a NUL byte$/],
		[{ targetCommand: ' \t ' }, /^the target command is empty$/],
		[{ targetCommand: 'true', targetPid: process.pid }, /^a target command \(-c\) and a target process \(-x\) both name the target: give one of them$/],
	];
	for (const [o, message] of refused) {
		const err: any = await t.throwsAsync(client.load(upload(), { ...options, ...o }));
		t.is(err?.code, status.INVALID_ARGUMENT, err?.details);
		t.regex(err?.details ?? '', message);
	}
});

test('-c with --host, the controller killed: the lease expires, the session ends and its command (and what it started) is stopped on the host', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a5', { policyPath: commandsPolicy() });
	t.teardown(() => agent.stop());
	const marker = `sleep 63.${process.pid}`;
	const controller = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '--host', agent.address, '--lease', '1', '-c', `${marker} & ${marker}; wait`, '-e', 'probe begin { println("started") }'], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	controller.stdout.on('data', (d) => (out += d));
	await until('the run to print "started"', () => out.includes('started\n'));
	// the two sleeps themselves (the shell's and the CLI's command lines hold the words too)
	await until('both commands to run', () => spawnSync('pgrep', ['-c', '-f', `^${marker.replace(/\./g, '\\.')}$`]).stdout.toString().trim() === '2' || undefined);
	controller.kill('SIGKILL');
	const client = clientFor(agent.address, pki.observerTls);
	t.teardown(() => client.close());
	const finished = await until('the lease to expire', async () => (await client.listSessions()).find((s) => s.state === 'finished'));
	t.like(finished.exit, { reason: 'lease expired' });
	t.is(spawnSync('pgrep', ['-f', marker.replace(/\./g, '\\.')]).status, 1, 'no sleep is left');
});

test('-c with --host, a forced unload (taprun killed outright): the kernel stops the command, taprun\'s child (PR_SET_PDEATHSIG)', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a6', { policyPath: commandsPolicy() });
	t.teardown(() => agent.stop());
	const marker = `sleep 64.${process.pid}`;
	const started = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--detach', '-c', marker, '-e', 'probe begin { println("started") }']);
	t.is(started.status, 0, started.stderr);
	const session = started.stdout.trim().split('\t')[1]!;
	// plain words: the shell execs sleep, which is then taprun's child itself
	await until('the command to run', () => spawnSync('pgrep', ['-f', `^${marker.replace(/\./g, '\\.')}$`]).status === 0 || undefined);
	const unloaded = await cli(['unload', '--pki', pki.dir, '--host', agent.address, '--force', session]);
	t.is(unloaded.status, 0, unloaded.stderr);
	await until('the command to be gone', () => spawnSync('pgrep', ['-f', `^${marker.replace(/\./g, '\\.')}$`]).status === 1 || undefined);
	t.pass();
});
