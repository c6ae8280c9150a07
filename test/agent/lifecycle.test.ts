// A session's life through the CLI: Ctrl-C unloads with end probes, -T
// bounds a run, detach / ps / attach / unload (polite and forced), the
// embedded local agent, and the kernel profile served in chunks.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runningKernelBuildId } from '../../agent/host-facts.js';
import { buildModule, clientFor, inProcessAgent, runCli, TAPFLEET, tempDir, testPki, until } from './helpers.js';

test('Ctrl-C once: every host unloads after its end probes, whose output is shown; exit status 0', async (t) => {
	const pki = await testPki();
	const ticks = await buildModule('ticks', tempDir('mod'));
	const agents = await Promise.all([0, 1].map((i) => inProcessAgent(pki, `a${i}`)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const child = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '--prefix', '--module', ticks, ...agents.flatMap((a) => ['--host', a.address])], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (err += d));
	await until('both hosts to start', () => (out.match(/started/g) ?? []).length >= 2);
	child.kill('SIGINT');
	const status = await new Promise((r) => child.on('close', r));
	t.is(status, 0, err);
	t.regex(err, /unloading everywhere \(end probes run\)/);
	t.deepEqual(out.trim().split('\n').sort(), agents.flatMap((a) => [`${a.address}: started`, `${a.address}: end: ticked yes`]).sort());
	for (const a of agents) {
		const [s] = await clientFor(a.address, pki.tls).listSessions();
		t.like(s, { state: 'finished', exit: { reason: 'unloaded', exitCode: 0 } });
	}
});

test('-T bounds the run: end probes run and the run ends by itself', async (t) => {
	const pki = await testPki();
	const ticks = await buildModule('ticks', tempDir('mod'));
	const agent = await inProcessAgent(pki, 'a2');
	t.teardown(() => agent.stop());
	const r = await runCli(['run', '--pki', pki.dir, '-T', '1', '--module', ticks, '--host', agent.address]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'started\nend: ticked yes\n');
	const [s] = await clientFor(agent.address, pki.tls).listSessions();
	t.like(s, { state: 'finished', exit: { reason: 'time limit', exitCode: 0 } });
});

test('detach, ps, attach (Ctrl-C detaches), unload with end probes, unload --force', async (t) => {
	const pki = await testPki();
	const ticks = await buildModule('ticks', tempDir('mod'));
	const agent = await inProcessAgent(pki, 'a3');
	t.teardown(() => agent.stop());
	const common = ['--pki', pki.dir, '--host', agent.address];

	const detached = await runCli(['run', ...common, '--detach', '--module', ticks]);
	t.is(detached.status, 0, detached.stderr);
	const [, sessionId] = detached.stdout.trim().split('\t');
	t.regex(sessionId, /^s-[0-9a-f]{12}$/);
	const second = (await runCli(['run', ...common, '--detach', '--module', ticks])).stdout.trim().split('\t')[1];

	const ps = await runCli(['ps', ...common]);
	t.is(ps.status, 0, ps.stderr);
	t.regex(ps.stdout, new RegExp(`${sessionId}\\tticks\\trunning\\tcontroller`));

	const attach = spawn(process.execPath, [TAPFLEET, 'attach', sessionId, ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	attach.stdout.on('data', (d) => (out += d));
	attach.stderr.on('data', (d) => (err += d));
	await until('the attach to show output', () => out.includes('started'));
	attach.kill('SIGINT');
	t.is(await new Promise((r) => attach.on('close', r)), 0, err);
	t.regex(err, new RegExp(`detached from ${sessionId} after seq 1; resume with --from 2`));

	const unload = await runCli(['unload', sessionId, ...common]);
	t.is(unload.status, 0, unload.stderr);
	t.is(unload.stdout, 'end: ticked yes\n');
	t.regex(unload.stderr, /session ended \(unloaded, exit status 0\)/);

	const forced = await runCli(['unload', '--force', second, ...common]);
	t.is(forced.status, 0, forced.stderr);
	t.is(forced.stdout, '');
	t.regex(forced.stderr, /session ended \(forced, killed by SIGKILL\)/);

	// Attaching to a finished session replays what is still buffered, from where you say.
	const replay = await runCli(['attach', sessionId, '--from', '2', ...common]);
	t.is(replay.stdout, 'end: ticked yes\n');
	const all = await runCli(['ps', '-a', ...common]);
	t.regex(all.stdout, new RegExp(`${sessionId}\\tticks\\tfinished.*unloaded \\(0\\)`));
	t.regex(all.stdout, new RegExp(`${second}\\tticks\\tfinished.*forced \\(SIGKILL\\)`));
	t.is((await runCli(['unload', 's-000000000000', ...common])).stderr, `tapfleet unload: ${agent.address}: NOT_FOUND: no session "s-000000000000" on this agent (running or recently finished)\n`);
});

test('no --host: the same path through an embedded agent on a unix socket', async (t) => {
	const hello = await buildModule('hello', tempDir('mod'));
	const home = tempDir('home');
	const r = await runCli(['run', '--module', hello], { ...process.env, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'hello world\n');
});

test('a local agent on a unix socket, and hosts over it', async (t) => {
	const pki = await testPki();
	const dir = tempDir('unix');
	const agent = await inProcessAgent(pki, 'a4', { listen: `unix:${join(dir, 'agent.sock')}` });
	t.teardown(() => agent.stop());
	const r = await runCli(['hosts', '--json', '--host', agent.address]);
	t.is(r.status, 0, r.stderr);
	const info = JSON.parse(r.stdout);
	t.like(info, { host: `unix:${join(dir, 'agent.sock')}`, buildId: runningKernelBuildId(), callerIdentity: 'local', callerRights: ['observe', 'operate', 'commands', 'guru'] });
});

test('the kernel profile is served in chunks, identified by build-id; a wrong expectation is FAILED_PRECONDITION', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a5');
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.observerTls);
	t.teardown(() => client.close());
	const chunks: Buffer[] = [];
	let total = 0n;
	await new Promise<void>((resolve, reject) => {
		const call = client.client.getKernelProfile({ expectedBuildId: runningKernelBuildId() });
		call.on('data', (c: { buildId: string; data: Uint8Array; totalBytes: bigint }) => {
			t.is(c.buildId, runningKernelBuildId());
			chunks.push(Buffer.from(c.data));
			total = c.totalBytes;
		});
		call.on('end', resolve);
		call.on('error', reject);
	});
	const bytes = Buffer.concat(chunks);
	t.is(BigInt(bytes.length), total);
	const { parseProfile } = await import('../../controller/profile/store.js');
	t.is(parseProfile(bytes, 'GetKernelProfile').buildId, runningKernelBuildId());
	const err: any = await new Promise((resolve) => {
		const call = client.client.getKernelProfile({ expectedBuildId: 'b'.repeat(40) });
		call.on('data', () => {});
		call.on('error', resolve);
	});
	t.is(err.code, 9);
	t.regex(err.details, /runs kernel build-id [0-9a-f]+, not the expected b{40}/);
});

test('a controller fetches each distinct kernel profile once and then uses its cache', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a6');
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	const { profileFor } = await import('../../controller/dispatch/profile-fetch.js');
	const { cachedProfilePath } = await import('../../controller/profile/cache.js');
	const { existsSync } = await import('node:fs');
	const cache = { dir: tempDir('profiles') };
	const buildId = runningKernelBuildId();
	const first = await profileFor(client, buildId, cache);
	t.true(first.fetched);
	t.is(first.profile.buildId, buildId);
	t.true(existsSync(cachedProfilePath(buildId, cache)));
	const second = await profileFor(client, buildId, cache);
	t.false(second.fetched);
	t.is(agent.logs.lines.filter((l) => l.method === 'GetKernelProfile').length, 1);
	const err: any = await t.throwsAsync(profileFor(client, 'c'.repeat(40), cache));
	t.is(err.code, 9);
});

test('output piped into head: when the reader goes away the run unloads everywhere and exits 0', async (t) => {
	const pki = await testPki();
	const chatty = await buildModule('chatty', tempDir('mod'), { CHATTY_PERIOD_MS: 10, CHATTY_BURST: 200 });
	const agent = await inProcessAgent(pki, 'a7');
	t.teardown(() => agent.stop());
	// Asynchronously: the agent lives in this process and must keep answering.
	const cmd = `"${process.execPath}" "${TAPFLEET}" run --pki "${pki.dir}" --host ${agent.address} --module "${chatty}" | head -n 2; echo "status \${PIPESTATUS[0]}"`;
	const shell = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	shell.stdout.on('data', (d) => (out += d));
	await new Promise((r) => shell.on('close', r));
	t.is(out, 'started\nline 1\nstatus 0\n');
	const [s] = await clientFor(agent.address, pki.tls).listSessions();
	t.like(s, { state: 'finished', exit: { reason: 'unloaded', exitCode: 0 } });
});
