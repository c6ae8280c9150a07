// `tapfleet run` through real agents over mutual TLS, with real modules,
// recording into the central audit log on SQLite and on PostgreSQL: what each
// outcome leaves in `tapfleet audit`, `audit show` and `audit verify`.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildModule, clientFor, freePort, inProcessAgent, readJournal, runCli, TAPFLEET, tempDir, testPki, until, writeModule } from '../agent/helpers.js';
import { exitOf } from '../audit/helpers/child.js';
import { BACKENDS, makeTestDb } from '../audit/helpers/backends.js';

// Generous bounds: CI machines run every test file at once.
const CLI_TIMEOUT_MS = 300_000;
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => runCli(args, env, CLI_TIMEOUT_MS);

const OTHER_BUILD_ID = '00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff';

async function auditJson(db: string, args: string[]): Promise<any[]> {
	const r = await cli(['audit', ...args, '--json', '--audit-db', db]);
	if (r.status !== 0) throw new Error(`tapfleet audit ${args.join(' ')}: ${r.stderr}`);
	return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function runIdsOf(db: string, host: string): Promise<string[]> {
	return (await auditJson(db, ['--host', host])).filter((e) => e.kind === 'run').map((e) => e.runId);
}

async function showRun(db: string, runId: string): Promise<any> {
	return (await auditJson(db, ['show', runId]))[0];
}

async function verifies(db: string): Promise<boolean> {
	return (await cli(['audit', 'verify', '--audit-db', db])).status === 0;
}

for (const kind of BACKENDS) {
	test(`${kind}: a script that exits: compile, dispatch, loaded, first output, ended by exit with lines and bytes; run id in the agent's journal`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a0');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());

		const script = 'probe begin { println("hello") println("world") exit() }';
		const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, 'hello\nworld\n');

		const entries = await auditJson(db.spec, []);
		t.like(entries.find((e) => e.kind === 'compile'), { outcome: 'compiled' });
		const [runId] = await runIdsOf(db.spec, agent.address);
		const run = await showRun(db.spec, runId!);
		t.like(run, { state: 'finished', scriptText: script });
		t.regex(run.who, /^cert:\S+/);
		const host = run.hosts[0];
		t.like(host, { host: agent.address, state: 'ended', endedBy: 'exit', outputLines: 2, outputBytes: 12, dropped: 0, source: 'controller' });
		t.true(host.loadedAtMs <= host.firstOutputAtMs && host.firstOutputAtMs <= host.unloadedAtMs);
		t.regex(host.sessionId, /^s-[0-9a-f]{12}$/);
		const loaded = readJournal(agent.stateDir).find((l) => l.event === 'loaded' && l.session === host.sessionId);
		t.is(loaded?.runId, runId);
		t.true(await verifies(db.spec));
	});

	test(`${kind}: output lines are counted by newlines, not by records (a partial line goes out on its own; the last one without a newline counts)`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a9');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());

		const script = 'probe begin { printf("waiting...") } probe timer.ms(600) { println("done"); printf("tail"); exit() }';
		const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, 'waiting...done\ntail');
		const [runId] = await runIdsOf(db.spec, agent.address);
		t.like((await showRun(db.spec, runId!)).hosts[0], { state: 'ended', endedBy: 'exit', outputLines: 2, outputBytes: 19 });
	});

	test(`${kind}: -T ends by time limit`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a1');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const ticks = await buildModule('ticks', tempDir('mod'));

		const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '-T', '1', '--module', ticks]);
		t.is(r.status, 0, r.stderr);
		const [runId] = await runIdsOf(db.spec, agent.address);
		const run = await showRun(db.spec, runId!);
		t.like(run, { state: 'finished', options: { timeLimitSeconds: 1 } });
		t.like(run.hosts[0], { state: 'ended', endedBy: 'time-limit', outputLines: 2 });
		// --module: nothing was compiled by this run.
		t.false((await auditJson(db.spec, [])).some((e) => e.kind === 'compile'));
		t.true(await verifies(db.spec));
	});

	test(`${kind}: Ctrl-C ends by interrupt (end probes' output counted)`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a6');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const ticks = await buildModule('ticks', tempDir('mod'));

		const child = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '--module', ticks], { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		await until('the module to run', () => out.includes('started\n') || undefined);
		child.kill('SIGINT');
		t.is((await exitOf(child)).code, 0);
		const [runId] = await runIdsOf(db.spec, agent.address);
		t.like((await showRun(db.spec, runId!)).hosts[0], { state: 'ended', endedBy: 'interrupt', outputLines: 2 });
		t.true(await verifies(db.spec));
	});

	test(`${kind}: refusals: build-id mismatch at the controller names both ids; a bad signature reported by the agent`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a2');
		t.teardown(() => agent.stop());
		// An agent that trusts some other controller's key only.
		const keys = join(tempDir('other-key'), 'keys');
		mkdirSync(keys);
		writeFileSync(join(keys, 'other.pub'), createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ type: 'spki', format: 'pem' }) as string);
		const picky = await inProcessAgent(pki, 'a3', { trustedKeysDir: keys });
		t.teardown(() => picky.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());

		const mismatched = join(tempDir('mod'), 'mismatched');
		writeModule(mismatched, { buildId: OTHER_BUILD_ID });
		const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '--module', mismatched]);
		t.is(r.status, 1, r.stderr);
		const [runId] = await runIdsOf(db.spec, agent.address);
		const refused = (await showRun(db.spec, runId!)).hosts[0];
		t.like(refused, { state: 'refused', refusal: 'build-id-mismatch' });
		t.true(refused.message.includes(OTHER_BUILD_ID));
		t.regex(refused.message, /runs kernel build-id [0-9a-f]{8,}/);

		const hello = await buildModule('hello', tempDir('mod'));
		const bad = await cli(['run', '--pki', pki.dir, '--host', picky.address, '--audit-db', db.spec, '--module', hello]);
		t.is(bad.status, 1, bad.stderr);
		const [badRun] = await runIdsOf(db.spec, picky.address);
		t.like((await showRun(db.spec, badRun!)).hosts[0], { state: 'refused', refusal: 'bad-signature' });
		t.true(await verifies(db.spec));
	});

	test(`${kind}: --module: the write-ahead record names the module before any host is reached (a host nobody listens on)`, async (t) => {
		const pki = await testPki();
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const hello = await buildModule('hello', tempDir('mod'));
		// A port that was just free: nobody listens there.
		const port = await freePort();
		const host = `127.0.0.1:${port}`;
		const r = await cli(['run', '--pki', pki.dir, '--host', host, '--audit-db', db.spec, '--module', hello]);
		t.is(r.status, 1, r.stderr);
		const [runId] = await runIdsOf(db.spec, host);
		const run = await showRun(db.spec, runId!);
		t.is(run.moduleHash, createHash('sha256').update(readFileSync(join(hello, 'manifest.json'))).digest('hex'));
		t.like(run, { state: 'finished', hosts: [{ host, state: 'ended', endedBy: 'error' }] });
		t.is(run.hosts[0].sessionId, undefined, 'nothing was loaded');
		t.true(await verifies(db.spec));
	});

	test(`${kind}: controller killed between dispatch and unload: interrupted, then the agent's lease-expiry unload once the next run imports its sessions`, async (t) => {
		const pki = await testPki();
		const agent = await inProcessAgent(pki, 'a4');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const ticks = await buildModule('ticks', tempDir('mod'));

		const child = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '--lease', '1', '--module', ticks], { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		await until('the module to run', () => out.includes('started\n') || undefined);
		// A run's records after the write-ahead one are batched (up to 100 ms): kill once the load is on record.
		const runId = await until('the run to be on record', async () => (await runIdsOf(db.spec, agent.address))[0]);
		await until('the load to be on record', async () => (await showRun(db.spec, runId!)).hosts[0].sessionId);
		child.kill('SIGKILL');
		t.is((await exitOf(child)).signal, 'SIGKILL');

		const interrupted = await showRun(db.spec, runId!);
		t.like(interrupted, { state: 'interrupted', hosts: [{ host: agent.address, state: 'interrupted' }] });
		const sessionId = interrupted.hosts[0].sessionId;

		const observer = clientFor(agent.address, pki.observerTls);
		t.teardown(() => observer.close());
		await until('the lease to expire', async () => (await observer.listSessions()).some((s) => s.sessionId === sessionId && s.state === 'finished') || undefined);
		// The next run to that host imports its sessions into the log.
		const hello = await buildModule('hello', tempDir('mod'));
		const next = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', db.spec, '--module', hello]);
		t.is(next.status, 0, next.stderr);

		t.like((await showRun(db.spec, runId!)).hosts[0], { state: 'ended', endedBy: 'lease-expiry', source: 'agent-journal', sessionId });
		const listed = await auditJson(db.spec, ['--host', agent.address]);
		t.like(listed.find((e) => e.runId === runId), { outcome: 'lease-expiry' });
		t.false(listed.some((e) => e.outcome === 'unmatched'));
		t.true(await verifies(db.spec));
	});
}

test('an audit log that cannot be opened (SQLite under a file, PostgreSQL not listening): the run refuses to dispatch and loads nothing', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a5');
	t.teardown(() => agent.stop());
	const hello = await buildModule('hello', tempDir('mod'));
	const notADir = join(tempDir('audit'), 'file');
	writeFileSync(notADir, '');
	for (const spec of [join(notADir, 'audit.db'), 'postgres://tapfleet:secret@127.0.0.1:1/nothing']) {
		const r = await cli(['run', '--pki', pki.dir, '--host', agent.address, '--audit-db', spec, '--module', hello]);
		t.is(r.status, 1, r.stderr);
		t.regex(r.stderr, /^tapfleet run: not dispatching: .*audit log cannot be opened: cannot open audit database /m);
		t.false(r.stderr.includes('secret'));
		t.is(r.stdout, '');
	}
	const observer = clientFor(agent.address, pki.observerTls);
	t.teardown(() => observer.close());
	t.deepEqual(await observer.listSessions(), []);
});

test('a local run (embedded agent, no --host) is recorded in the default log under $XDG_STATE_HOME as local:<hostname>', async (t) => {
	const state = tempDir('xdg-state');
	const { TAPFLEET_AUDIT_DB: _unset, ...inherited } = process.env;
	const env = { ...inherited, XDG_STATE_HOME: state };
	const r = await cli(['run', '-e', 'probe begin { println("local") exit() }'], env);
	t.is(r.status, 0, r.stderr);
	const db = join(state, 'tapfleet', 'audit.db');
	const host = `local:${hostname()}`;
	const [runId] = await runIdsOf(db, host);
	t.like(await showRun(db, runId!), { state: 'finished', hosts: [{ host, state: 'ended', endedBy: 'exit', outputLines: 1, outputBytes: 6 }] });
	t.true(await verifies(db));
});
