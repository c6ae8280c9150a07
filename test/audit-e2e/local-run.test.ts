// `tapfleet run -c CMD` and `-o FILE` start taprun themselves (no agent):
// they are recorded like every other run, on SQLite and on PostgreSQL: the
// compile, the write-ahead dispatch to local:<hostname>, the load (taprun's
// session), how it ended, output bytes and lines, and the finish.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runCli, TAPFLEET, tempDir, until } from '../agent/helpers.js';
import { exitOf } from '../audit/helpers/child.js';
import { BACKENDS, makeTestDb } from '../audit/helpers/backends.js';

// Generous bounds: CI machines run every test file at once, and each script here compiles.
const CLI_TIMEOUT_MS = 300_000;
const cli = (args: string[]) => runCli(args, process.env, CLI_TIMEOUT_MS);
const HOST = `local:${hostname()}`;

/** A script of its own per test, so that it is compiled (not found in the script cache) and its compile recorded. */
let counter = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${counter++}`;

async function auditJson(db: string, args: string[]): Promise<any[]> {
	const r = await cli(['audit', ...args, '--json', '--audit-db', db]);
	if (r.status !== 0) throw new Error(`tapfleet audit ${args.join(' ')}: ${r.stderr}`);
	return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The one run in the log, shown in full. */
async function theRun(db: string): Promise<any> {
	const runs = (await auditJson(db, ['--host', HOST])).filter((e) => e.kind === 'run');
	if (runs.length !== 1) throw new Error(`expected one run, found ${runs.length}`);
	return (await auditJson(db, ['show', runs[0].runId]))[0];
}

async function verifies(db: string): Promise<boolean> {
	return (await cli(['audit', 'verify', '--audit-db', db])).status === 0;
}

for (const kind of BACKENDS) {
	test(`${kind}: -c CMD: compile, dispatch, taprun's load, ended by exit when the command exits, stdout lines and bytes`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const tag = unique();
		const script = `probe begin { println("begin ${tag}") } probe end { println("end") }`;
		const r = await cli(['run', '--audit-db', db.spec, '-c', 'true', '-e', script]);
		t.is(r.status, 0, r.stderr);
		t.is(r.stdout, `begin ${tag}\nend\n`);

		const compile = (await auditJson(db.spec, [])).find((e) => e.kind === 'compile');
		t.like(compile, { outcome: 'compiled' });
		const run = await theRun(db.spec);
		t.like(run, { state: 'finished', scriptText: script, scriptHash: compile.scriptHash, moduleHash: compile.moduleHash });
		t.regex(run.who, /^user:\S+@/);
		t.like(run.options, { command: 'true', timeLimitSeconds: 0 });
		const host = run.hosts[0];
		t.like(host, { host: HOST, state: 'ended', endedBy: 'exit', outputLines: 2, outputBytes: Buffer.byteLength(r.stdout), dropped: 0, source: 'controller' });
		t.regex(host.sessionId, /^taprun-\d+$/);
		t.true(host.loadedAtMs <= host.firstOutputAtMs && host.firstOutputAtMs <= host.unloadedAtMs);
		t.true(await verifies(db.spec));
	});

	test(`${kind}: -o FILE with -T: ended by time limit, the file's bytes and lines counted (a last line without newline too)`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const out = join(tempDir('local-out'), 'out.txt');
		const r = await cli(['run', '--audit-db', db.spec, '-T', '1', '-o', out, '-e', `probe begin { println("${unique()}") } probe end { printf("no newline") }`]);
		t.is(r.status, 0, r.stderr);
		const text = readFileSync(out);
		const run = await theRun(db.spec);
		t.like(run, { state: 'finished' });
		t.like(run.options, { output: out, timeLimitSeconds: 1 });
		t.like(run.hosts[0], { host: HOST, state: 'ended', endedBy: 'time-limit', outputLines: 2, outputBytes: text.length });
		t.true(await verifies(db.spec));
	});

	test(`${kind}: a script error under -c: ended by error with its message; a script that does not compile: recorded, nothing loaded`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const failed = await cli(['run', '--audit-db', db.spec, '-c', 'true', '-e', `probe begin { error("boom ${unique()}") }`]);
		t.is(failed.status, 1, failed.stderr);
		const run = await theRun(db.spec);
		t.like(run.hosts[0], { host: HOST, state: 'ended', endedBy: 'error' });
		t.regex(run.hosts[0].message, /^boom /);

		const broken = 'probe begin { syntax error';
		const notCompiled = await cli(['run', '--audit-db', db.spec, '-c', 'true', '-e', broken]);
		t.is(notCompiled.status, 1);
		const runs = (await auditJson(db.spec, ['--host', HOST])).filter((e) => e.kind === 'run' && e.runId !== run.runId);
		const none = (await auditJson(db.spec, ['show', runs[0].runId]))[0];
		t.like(none, { state: 'finished', moduleHash: 'none', scriptText: broken });
		t.like(none.hosts[0], { state: 'ended', endedBy: 'error', message: 'not loaded: no module (the script did not compile)' });
		t.true(await verifies(db.spec));
	});

	test(`${kind}: Ctrl-C during -c: ended by interrupt, end probes' output counted`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const child = spawn(process.execPath, [TAPFLEET, 'run', '--audit-db', db.spec, '-c', 'sleep 120', '-e', `probe begin { println("up ${unique()}") } probe end { println("bye") }`], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '';
		let err = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		await until('the probes to attach', () => out.includes('up ') || undefined, CLI_TIMEOUT_MS);
		child.kill('SIGINT');
		t.is((await exitOf(child)).code, 0, err);
		t.regex(out, /bye\n$/);
		t.like((await theRun(db.spec)).hosts[0], { state: 'ended', endedBy: 'interrupt', outputLines: 2, outputBytes: Buffer.byteLength(out) });
	});
}

test('-c with an audit log that cannot be opened: refused before taprun starts, the command never runs', async (t) => {
	const dir = tempDir('local-noaudit');
	const notADir = join(dir, 'file');
	writeFileSync(notADir, '');
	const marker = join(dir, 'ran');
	for (const spec of [join(notADir, 'audit.db'), 'postgres://tapfleet:secret@127.0.0.1:1/nothing']) {
		const r = await cli(['run', '--audit-db', spec, '-c', `touch ${marker}`, '-e', 'probe begin { println("loaded") }']);
		t.is(r.status, 1, r.stderr);
		t.regex(r.stderr, /^tapfleet run: not dispatching: .*audit log cannot be opened: cannot open audit database /m);
		t.false(r.stderr.includes('secret'));
		t.is(r.stdout, '');
		t.false(existsSync(marker));
	}
});
