// `tapfleet run` to many agents at once over mTLS: five on loopback ports
// and one in its own network namespace; merged output with host prefixes or
// as JSON; one unreachable host does not stop the others.
import test from 'ava';
import { issueAgent } from '../../controller/pki/keys.js';
import { agentPkiDir } from '../../controller/pki/layout.js';
import { buildModule, freePort, inProcessAgent, runCli, spawnAgent, tempDir, testPki } from './helpers.js';
import { createNetNs } from './netns.js';

test('one module, six agents (five on loopback, one in a network namespace): merged, prefixed output from each', async (t) => {
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const agents = await Promise.all([0, 1, 2, 3, 4].map((i) => inProcessAgent(pki, `a${i}`)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));

	const ns = createNetNs();
	t.teardown(() => ns.remove());
	await issueAgent(pki.dir, `ns-${ns.name}`, [ns.address]);
	const nsAgent = await spawnAgent(['--listen', `${ns.address}:0`, '--pki', agentPkiDir(pki.dir, `ns-${ns.name}`), '--state-dir', tempDir('state')], ['ip', 'netns', 'exec', ns.name]);
	t.teardown(() => void nsAgent.child.kill('SIGTERM'));

	const hosts = [...agents.map((a) => a.address), nsAgent.address];
	const r = await runCli(['run', '--pki', pki.dir, '--prefix', '--module', hello, ...hosts.flatMap((h) => ['--host', h])]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.trim().split('\n').sort();
	t.deepEqual(lines, hosts.map((h) => `${h}: hello world`).sort());

	const j = await runCli(['run', '--pki', pki.dir, '--json', '--module', hello, ...hosts.flatMap((h) => ['--host', h])]);
	t.is(j.status, 0, j.stderr);
	const records = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
	for (const h of hosts) {
		const mine = records.filter((rec) => rec.host === h);
		t.deepEqual(
			mine.map((rec) => [rec.seq, rec.stream, rec.text ?? rec.reason]),
			[
				[1, 'stdout', 'hello world\n'],
				[2, 'exit', 'exited'],
			],
		);
		t.regex(mine[0].session, /^s-[0-9a-f]{12}$/);
	}
});

test('a host that fails does not stop the others, and the exit status says one failed', async (t) => {
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const agents = await Promise.all([5, 6].map((i) => inProcessAgent(pki, `a${i}`)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	// A port nothing listens on: bind one, note it, close it.
	const dead = await freePort();
	const r = await runCli(['run', '--pki', pki.dir, '--prefix', '--module', hello, '--host', agents[0].address, '--host', `127.0.0.1:${dead}`, '--host', agents[1].address]);
	t.is(r.status, 3, r.stderr);
	t.deepEqual(r.stdout.trim().split('\n').sort(), [`${agents[0].address}: hello world`, `${agents[1].address}: hello world`].sort());
	// grpc-js's transport text, without its empty resolution note and nested "Error:"
	t.regex(r.stderr, new RegExp(`127\\.0\\.0\\.1:${dead}: cannot reach the agent: UNAVAILABLE: No connection established: connect ECONNREFUSED 127\\.0\\.0\\.1:${dead}\n`));
	t.notRegex(r.stderr, /Resolution note|Error: connect/);
	t.regex(r.stderr, new RegExp(`1 of 3 host\\(s\\) failed: 127\\.0\\.0\\.1:${dead}`));
});
