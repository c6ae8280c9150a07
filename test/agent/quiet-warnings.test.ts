// `tapfleet run -w --host ...`: stap -w through real agents over mTLS. The
// session option quiet_warnings makes the agent's taprun print no warnings;
// without it they come back once each (taprun's duplicate elimination),
// errors either way.
import test from 'ava';
import { inProcessAgent, runCli, tempDir, testPki } from './helpers.js';

const SCRIPT = 'probe begin { warn("twice"); warn("twice"); error("boom") }';

test('run -w --host: no warnings from the host\'s session, its error still shown; without -w each warning once', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a9');
	t.teardown(() => agent.stop());
	const env = { ...process.env, XDG_CACHE_HOME: tempDir('quiet') };
	const quiet = await runCli(['run', '--pki', pki.dir, '--host', agent.address, '-w', '-e', SCRIPT], env);
	t.is(quiet.status, 1);
	t.false(quiet.stderr.includes('WARNING'), quiet.stderr);
	t.regex(quiet.stderr, /ERROR: boom/);
	const loud = await runCli(['run', '--pki', pki.dir, '--host', agent.address, '-e', SCRIPT], env);
	t.is(loud.status, 1);
	t.deepEqual(loud.stderr.split('\n').filter((l) => l.includes('WARNING')).map((l) => l.replace(/^.*?WARNING/, 'WARNING')),
		['WARNING: twice', 'WARNING: Number of errors: 1, skipped probes: 0'], loud.stderr);
	t.regex(loud.stderr, /ERROR: boom/);
});
