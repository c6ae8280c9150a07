// `tapfleet run --host A --host B -o FILE`: the merged output of every host
// goes to FILE (as --prefix formats it), nothing to stdout; a FILE that
// cannot be opened stops the run before any host loads anything. Real
// agents over mutual TLS, real modules.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProcessAgent, readJournal, runCli, tempDir, testPki } from './helpers.js';

const cli = (args: string[]) => runCli(args, process.env, 300_000);

test('-o FILE with two --host: both hosts\' lines, prefixed, in FILE; stdout stays empty; warnings stay on stderr', async (t) => {
	const pki = await testPki();
	const agents = await Promise.all(['a5', 'a6'].map((name) => inProcessAgent(pki, name)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const file = join(tempDir('out'), 'merged.txt');
	const db = join(tempDir('audit'), 'audit.db');
	const r = await cli(['run', '--pki', pki.dir, '--audit-db', db, '--prefix', '-o', file, ...agents.flatMap((a) => ['--host', a.address]), '-e', 'probe begin { println("one"); println("two"); warn("careful"); exit() }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '');
	const lines = readFileSync(file, 'utf8').split('\n');
	t.is(lines.pop(), '');
	for (const a of agents) {
		t.deepEqual(lines.filter((l) => l.startsWith(`${a.address}: `)), [`${a.address}: one`, `${a.address}: two`]);
		t.regex(r.stderr, new RegExp(`^${a.address.replace(/\./g, '\\.')}: WARNING: careful$`, 'm'));
	}
	t.is(lines.length, 4);
	// the audit records where the output went
	const run = JSON.parse((await cli(['audit', '--json', '--audit-db', db])).stdout.trim().split('\n').find((l) => l.includes('"kind":"run"'))!);
	const shown = JSON.parse((await cli(['audit', 'show', run.runId, '--json', '--audit-db', db])).stdout);
	t.is(shown.options.output, file);
});

test('-o FILE that cannot be opened, with --host: one line naming it and why, status 1, nothing loaded', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a7');
	t.teardown(() => agent.stop());
	const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '-o', '/nonexistent-dir/out', '-e', 'probe begin { println("ran") exit() }']);
	t.is(r.status, 1);
	t.is(r.stdout, '');
	t.is(r.stderr, 'tapfleet run: -o /nonexistent-dir/out: cannot open it for writing (ENOENT: no such file or directory)\n');
	t.false(readJournal(agent.stateDir).some((l) => l.event === 'loaded'));
});
