// `npm run bundle:agent`: one file that runs the agent with nothing but
// Node: copied alone into an empty directory, started with an empty cache,
// it serves host info, loads a signed module with its embedded taprun, and
// answers reflection (the API descriptors are inside it too).
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { followSession } from '../../controller/dispatch/follow.js';
import { credentials } from '@grpc/grpc-js';
import { buildModule, clientFor, inProcessAgent, REPO, tempDir, testPki } from './helpers.js';
import { reflect } from './reflection-client.js';

const options = { leaseSeconds: 0, timeLimitSeconds: 0, args: [] as string[], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };

test('the bundled agent runs alone with only Node: host info, a module loaded through its own taprun, reflection', async (t) => {
	execFileSync(process.execPath, [join(REPO, 'scripts', 'bundle-agent.mjs')], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const dir = tempDir('bundle');
	copyFileSync(join(REPO, 'dist-agent', 'tapfleet-agent'), join(dir, 'tapfleet-agent'));
	t.deepEqual(readdirSync(dir), ['tapfleet-agent']);

	// No repository, no node_modules, no PATH entries of ours: only node and the file.
	const env = { PATH: '/usr/bin:/bin', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') };
	const child = spawn(process.execPath, [join(dir, 'tapfleet-agent'), '--listen', '127.0.0.1:0', '--pki', pki.agentDir('a3'), '--state-dir', join(dir, 'state')], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
	t.teardown(() => void child.kill('SIGTERM'));
	let log = '';
	const address = await new Promise<string>((resolve, reject) => {
		child.stderr.on('data', (d) => {
			log += d;
			const m = /"msg":"agent listening","address":"([^"]+)".*?"taprun":"([^"]+)"/.exec(log);
			if (m) resolve(m[1]);
		});
		child.on('exit', (code) => reject(new Error(`bundled agent exited with ${code}: ${log}`)));
	});
	t.regex(log, new RegExp(`"taprun":"${join(dir, 'cache')}/tapfleet/agent-[0-9a-f]{16}/bin/taprun"`));
	t.notRegex(execFileSync('ldd', [join(dir, 'cache', 'tapfleet', readdirSync(join(dir, 'cache', 'tapfleet'))[0], 'bin', 'taprun')], { encoding: 'utf8' }), /libbpf|libelf/);

	const client = clientFor(address, pki.tls);
	t.teardown(() => client.close());
	const info = await client.hostInfo();
	t.deepEqual(info.runtimes.includes('bpf'), true);
	const { sessionId } = await client.load(signedUpload(readModuleDir(hello), pki.signingKey), options);
	const records: string[] = [];
	const sink = { record: (_h: string, _s: string, r: any) => (r.text && records.push(r.text.data.toString('utf8')), true), note: () => {}, onDrain: () => {} };
	const r = await followSession(client, sessionId, sink, { holdLease: true, fromSeq: 0n, reconnectWindowMs: 5000 }).done;
	t.deepEqual(records, ['hello world\n']);
	t.like(r.exit, { exitCode: 0, reason: 'exited' });

	const answer = await reflect(address, credentials.createSsl(pki.tls.ca, pki.tls.key, pki.tls.cert), 'tapfleet.v1.AgentService');
	t.true(answer.services.includes('tapfleet.v1.AgentService'), answer.services.join(', '));
	t.true(answer.files.length > 0);
});

test('an agent from the repository answers reflection like grpcurl asks it', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a4');
	t.teardown(() => agent.stop());
	const answer = await reflect(agent.address, credentials.createSsl(pki.tls.ca, pki.tls.key, pki.tls.cert), 'tapfleet.v1.AgentService');
	t.true(answer.services.includes('tapfleet.v1.AgentService'));
	const descriptor = Buffer.from(answer.files[0]).toString('latin1');
	t.true(descriptor.includes('tapfleet.v1') && descriptor.includes('StreamOutputRequest'));
});
