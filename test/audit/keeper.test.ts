// The audit keeper (controller/audit/keeper/): a run's PostgreSQL log is
// reached through a process that keeps it open between runs and records the
// run's steps itself. Real keeper processes, a real PostgreSQL, real Unix
// sockets.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditOpenError, openAuditLog } from '../../controller/audit/open.js';
import { openRunLog } from '../../controller/audit/run-log.js';
import type { RunLog } from '../../controller/audit/run-log-api.js';
import { KeeperConnection, REQUEST_TIMEOUT_MS } from '../../controller/audit/keeper/connection.js';
import { KeeperRunLog } from '../../controller/audit/keeper/run-client.js';
import { keeperPlace, KEEP_ENV, type KeeperPlace } from '../../controller/audit/keeper/place.js';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from '../../controller/audit/keeper/protocol.js';
import { parseAuditDb } from '../../controller/audit/location.js';
import { makeTestDb, type TestDb } from './helpers/backends.js';

// Every keeper of this file lives in a state directory of its own, removed at the end (which stops them).
const state = mkdtempSync(join(tmpdir(), 'tapfleet-keeper-test-'));
process.env.XDG_STATE_HOME = state;
delete process.env[KEEP_ENV];
test.after.always(() => rmSync(state, { recursive: true, force: true }));

const RUN_LOG = { batchMs: 100, connections: 1 } as const;

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
	const until = Date.now() + ms;
	while (!(await cond())) {
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

async function answers(place: KeeperPlace, kind: 'sqlite' | 'postgres' = 'postgres'): Promise<boolean> {
	try {
		await (await KeeperConnection.connect(place.socketPath, kind)).close();
		return true;
	} catch {
		return false;
	}
}

function placeOf(db: TestDb): KeeperPlace {
	const place = keeperPlace(parseAuditDb(db.spec));
	if (!place) throw new Error('no keeper place');
	return place;
}

/** True once process `pid` is gone. */
function exited(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return false;
	} catch {
		return true;
	}
}

/** The pid of the keeper that last started serving at `place` (from its log). */
function keeperPid(place: KeeperPlace): number {
	const pids = [...readFileSync(place.logPath, 'utf8').matchAll(/keeper (\d+): serving/g)].map((m) => Number(m[1]));
	return pids[pids.length - 1]!;
}

/** A fresh PostgreSQL log whose keeper is up (a first run opened it and started one), then `fn`; the schema dropped after. */
async function withKeeper(fn: (db: TestDb, place: KeeperPlace) => Promise<void>): Promise<void> {
	const db = await makeTestDb('postgres');
	try {
		const place = placeOf(db);
		await (await openRunLog(db.spec, RUN_LOG)).close();
		await waitFor('the keeper', () => answers(place));
		await fn(db, place);
	} finally {
		await db.dispose();
	}
}

/** One run's records: the write-ahead dispatch, a host's load and end, the finish. */
async function recordRun(log: RunLog, host = 'h1'): Promise<string> {
	const run = await log.beginDispatch({ who: 'alice', hosts: [host], moduleHash: 'm1', scriptText: 'probe begin { exit() }', options: {} });
	await run.hostLoaded(host, { sessionId: 's1', loadedAtMs: Date.now() });
	await run.hostEnded(host, { endedBy: 'exit', dropped: 0, outputBytes: 3, outputLines: 1, unloadedAtMs: Date.now() });
	await run.finish();
	return run.runId;
}

test.serial('a run opens a PostgreSQL log itself the first time, starts a keeper when done, and goes through it from then on', async (t) => {
	const db = await makeTestDb('postgres');
	try {
		const place = placeOf(db);
		const first = await openRunLog(db.spec, RUN_LOG);
		t.false(first.throughKeeper);
		const run1 = await recordRun(first);
		await first.close();
		await waitFor('the keeper', () => answers(place));

		const second = await openRunLog(db.spec, RUN_LOG);
		t.true(second.throughKeeper);
		t.is(second.location, first.location, 'the keeper names the log as a direct open does (no password)');
		t.notRegex(second.location, /tapfleet@|:tapfleet@/);
		const run2 = await recordRun(second, 'h2');
		await second.close();

		// What went through the keeper is in the log, on one unbroken chain, as seen without it.
		const direct = await openAuditLog(db.spec);
		try {
			t.is((await direct.show(run1)).hosts[0]!.state, 'ended');
			const shown = await direct.show(run2);
			t.is(shown.hosts[0]!.host, 'h2');
			t.is(shown.hosts[0]!.state, 'ended');
			t.true((await direct.verify()).ok);
		} finally {
			await direct.close();
		}
	} finally {
		await db.dispose();
	}
});

test.serial('the keeper records a run for the process that opened it: a run whose process died unfinished is marked interrupted by the next', (t) =>
	withKeeper(async (db) => {
		// A child process begins a run through the keeper and exits without finishing it.
		const runLogModule = new URL('../../controller/audit/run-log.js', import.meta.url).href;
		const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
			const { openRunLog } = await import(${JSON.stringify(runLogModule)});
			const log = await openRunLog(process.argv[1], { batchMs: 100, connections: 1 });
			const run = await log.beginDispatch({ who: 'bob', hosts: ['h9'], moduleHash: 'm9', scriptText: 'probe begin {}', options: {} });
			console.log(log.throughKeeper, run.runId);
			process.exit(0);`, db.spec], { encoding: 'utf8', env: process.env });
		t.is(child.status, 0, child.stderr);
		const [through, orphan] = child.stdout.trim().split(' ');
		t.is(through, 'true');
		const log = await openRunLog(db.spec, RUN_LOG);
		try {
			t.true(log.throughKeeper);
			await log.beginDispatch({ who: 'alice', hosts: ['h1'], moduleHash: 'm1', scriptText: 'probe begin {}', options: {} });
			t.true((await log.afterWriteAhead(['h1'], Date.now()).recovered).includes(orphan!));
		} finally {
			await log.close();
		}
		const direct = await openAuditLog(db.spec, { recover: false });
		try {
			const shown = await direct.show(orphan!);
			t.is(shown.state, 'interrupted');
			t.regex(shown.controller, new RegExp(`pid ${child.pid}\\b`), 'the run\'s controller is the process that asked, not the keeper');
		} finally {
			await direct.close();
		}
	}),
);

test.serial('a client that goes away without closing its run session: the records it made are committed all the same', (t) =>
	withKeeper(async (db, place) => {
		// A load batched for up to a minute, its answer still waiting for the batch when the connection drops.
		const runId = 'abandon00001';
		const answered: number[] = [];
		await new Promise<void>((resolve, reject) => {
			const reader = new FrameReader();
			const s = connect(place.socketPath);
			s.on('error', reject);
			s.on('data', (d) => {
				for (const a of reader.push(d) as { id: number; ok: boolean }[]) {
					answered.push(a.id);
					if (a.id === 3 && a.ok) {
						s.write(encodeFrame({ id: 4, op: 'run.hostLoaded', args: [runId, 'h5', { sessionId: 's5', loadedAtMs: Date.now() }] }));
						setTimeout(() => {
							s.destroy();
							resolve();
						}, 1000);
					}
				}
			});
			s.write(Buffer.concat([
				encodeFrame({ id: 1, op: 'hello', args: [] }),
				encodeFrame({ id: 2, op: 'run.open', args: [{ hostname: 'elsewhere', pid: 1, startTicks: null }, 60_000] }),
				encodeFrame({ id: 3, op: 'run.beginDispatch', args: [{ runId, who: 'carol', hosts: ['h5'], moduleHash: 'm5', scriptText: 'probe begin {}', options: {} }] }),
			]));
		});
		t.deepEqual(answered.sort(), [1, 2, 3], 'the load was not committed while the client was there');
		await waitFor('the load committed', async () => {
			const direct = await openAuditLog(db.spec, { recover: false });
			try {
				return (await direct.show(runId)).hosts[0]!.state === 'loaded';
			} finally {
				await direct.close();
			}
		});
		t.pass();
	}),
);

test.serial('the socket and the keeper log are this user\'s only', (t) =>
	withKeeper(async (db, place) => {
		t.is(statSync(join(state, 'tapfleet', 'keepers')).mode & 0o777, 0o700);
		t.is(statSync(place.socketPath).mode & 0o077, 0);
		t.is(statSync(place.logPath).mode & 0o077, 0);
		// The socket's name says nothing of the URL or its password.
		t.notRegex(place.socketPath, /tapfleet_test|postgres/);
		t.notRegex(readFileSync(place.logPath, 'utf8'), /:tapfleet@/, 'no password in the keeper log');
	}),
);

test.serial('a duplicate run id is refused through the keeper as without it (the error keeps its code)', (t) =>
	withKeeper(async (db, place) => {
		const log = await openRunLog(db.spec, RUN_LOG);
		try {
			t.true(log.throughKeeper);
			const rec = { runId: 'abcdef012345', who: 'alice', hosts: ['h1'], moduleHash: 'm1', scriptText: 'probe begin {}', options: {} };
			await log.beginDispatch(rec);
			await t.throwsAsync(log.beginDispatch(rec), { message: 'run id abcdef012345 is already in the audit log' });
		} finally {
			await log.close();
		}
	}),
);

test.serial('a killed keeper leaves a stale socket: the next run opens the log itself and a new keeper takes the socket over', (t) =>
	withKeeper(async (db, place) => {
		const killed = keeperPid(place);
		process.kill(killed, 'SIGKILL');
		await waitFor('the keeper to die', () => exited(killed));
		t.true(existsSync(place.socketPath), 'the socket file is left behind');

		const run = await openRunLog(db.spec, RUN_LOG);
		t.false(run.throughKeeper);
		await recordRun(run);
		await run.close();
		await waitFor('a new keeper', () => answers(place));
		t.not(keeperPid(place), killed);
		const next = await openRunLog(db.spec, RUN_LOG);
		t.true(next.throughKeeper);
		await next.close();
	}),
);

test.serial('a keeper killed during a run: the run\'s later records fail with a clear error, nothing hangs', (t) =>
	withKeeper(async (db, place) => {
		const log = await openRunLog(db.spec, { ...RUN_LOG, batchMs: 0 });
		t.true(log.throughKeeper);
		const run = await log.beginDispatch({ who: 'alice', hosts: ['h1'], moduleHash: 'm1', scriptText: 'probe begin {}', options: {} });
		process.kill(keeperPid(place), 'SIGKILL');
		await t.throwsAsync(run.hostLoaded('h1', { sessionId: 's1', loadedAtMs: Date.now() }), { message: /audit keeper .* closed the connection/ });
		await log.close().catch(() => {});
		// The write-ahead record was committed before the keeper died: the run shows, without its end.
		const direct = await openAuditLog(db.spec, { recover: false });
		try {
			t.is((await direct.show(run.runId)).hosts[0]!.state, 'pending');
		} finally {
			await direct.close();
		}
	}),
);

test.serial('a keeper that accepts but does not answer (stopped): the run opens the log itself after 5 s, once; the stopped keeper gives way', (t) =>
	withKeeper(async (db, place) => {
		const stopped = keeperPid(place);
		process.kill(stopped, 'SIGSTOP');
		t.teardown(() => {
			try {
				process.kill(stopped, 'SIGCONT');
			} catch {
				// gone
			}
		});
		const log = await openRunLog(db.spec, RUN_LOG);
		t.false(log.throughKeeper);
		t.false(existsSync(place.socketPath), 'its socket is removed, so the next run does not wait for it too');
		await recordRun(log);
		await log.close();
		await waitFor('a new keeper', () => answers(place));
		t.not(keeperPid(place), stopped);
		process.kill(stopped, 'SIGCONT');
		await waitFor('the stopped keeper to see its socket taken and stop', () => exited(stopped));
		t.true(await answers(place), 'the new keeper serves on');
	}),
);

test.serial('a request the keeper does not answer in time fails with a clear error (the limit, here 0.5 s instead of 60)', (t) =>
	withKeeper(async (_db, place) => {
		t.is(REQUEST_TIMEOUT_MS, 60_000);
		// (its hello has its own bound, 5 s: a loaded machine may take longer than 0.5 s to answer first)
		const client = await KeeperRunLog.open(place.socketPath, 'postgres', 100, 500);
		const pid = keeperPid(place);
		process.kill(pid, 'SIGSTOP');
		try {
			await t.throwsAsync(client.endBatching(), { message: `the audit keeper at ${place.socketPath} did not answer (run.endBatching) within 0.5 s` });
		} finally {
			process.kill(pid, 'SIGCONT');
			await client.close();
		}
		t.true(await answers(place), 'the keeper serves on once it runs again');
	}),
);

test.serial('a keeper stops once idle for its time, removing its socket', async (t) => {
	const db = await makeTestDb('postgres');
	process.env[KEEP_ENV] = '1';
	try {
		const place = placeOf(db);
		t.is(place.idleMs, 1000);
		await (await openRunLog(db.spec, RUN_LOG)).close();
		await waitFor('the keeper', () => answers(place));
		await waitFor('the keeper to stop', () => !existsSync(place.socketPath), 15_000);
		await waitFor('its last words', () => /stopped: idle/.test(readFileSync(place.logPath, 'utf8')));
		t.pass();
	} finally {
		delete process.env[KEEP_ENV];
		await db.dispose();
	}
});

test.serial(`${KEEP_ENV}=0 means no keeper; a value that is not whole seconds in range is refused by name`, async (t) => {
	const db = await makeTestDb('postgres');
	try {
		process.env[KEEP_ENV] = '0';
		t.is(keeperPlace(parseAuditDb(db.spec)), undefined);
		const log = await openRunLog(db.spec, RUN_LOG);
		t.false(log.throughKeeper);
		await log.close();
		for (const bad of ['-1', '1.5', 'soon', '86401']) {
			process.env[KEEP_ENV] = bad;
			const err = await t.throwsAsync(openRunLog(db.spec, RUN_LOG), { instanceOf: AuditOpenError });
			t.is(err!.message, `${KEEP_ENV}=${bad}: give the seconds an audit keeper stays after the last run, 0 to 86400 (0: no keeper)`);
		}
		process.env[KEEP_ENV] = '86400';
		t.is(keeperPlace(parseAuditDb(db.spec))!.idleMs, 86_400_000);
	} finally {
		delete process.env[KEEP_ENV];
		await db.dispose();
	}
});

test.serial('a SQLite log is opened by the run itself (no keeper)', async (t) => {
	const db = await makeTestDb('sqlite');
	try {
		t.is(keeperPlace(parseAuditDb(db.spec)), undefined);
		const log = await openRunLog(db.spec, RUN_LOG);
		t.false(log.throughKeeper);
		await log.close();
	} finally {
		await db.dispose();
	}
});

/** Sends raw bytes to a keeper; resolves with the answers read until it closes the connection or `settleMs` passes. */
function rawExchange(path: string, bytes: Buffer, settleMs = 1000): Promise<{ answers: unknown[]; closed: boolean }> {
	return new Promise((resolve) => {
		const reader = new FrameReader();
		const answers: unknown[] = [];
		const s = connect(path);
		const timer = setTimeout(() => {
			s.destroy();
			resolve({ answers, closed: false });
		}, settleMs);
		s.on('data', (d) => answers.push(...reader.push(d)));
		s.on('close', () => {
			clearTimeout(timer);
			resolve({ answers, closed: true });
		});
		s.on('error', () => {});
		s.write(bytes);
	});
}

test.serial('a keeper answers malformed requests with an error, drops a client that sends an oversized or unreadable frame, and keeps serving', (t) =>
	withKeeper(async (db, place) => {

		const unknownOp = await rawExchange(place.socketPath, encodeFrame({ id: 7, op: 'dropTable', args: [] }));
		t.deepEqual(unknownOp.answers, [{ id: 7, ok: false, error: { message: 'audit keeper: malformed request' } }]);
		const badArgs = await rawExchange(place.socketPath, encodeFrame({ id: 8, op: 'run.open', args: [{ hostname: 1 }, 100] }));
		t.like(badArgs.answers[0], { id: 8, ok: false });
		t.regex((badArgs.answers[0] as { error: { message: string } }).error.message, /bad run.open request: the controller is not a process tag/);
		const noSession = await rawExchange(place.socketPath, encodeFrame({ id: 9, op: 'run.endBatching', args: [] }));
		t.regex((noSession.answers[0] as { error: { message: string } }).error.message, /bad run.endBatching request: no run.open first/);
		const badRecord = await rawExchange(place.socketPath, Buffer.concat([
			encodeFrame({ id: 1, op: 'run.open', args: [{ hostname: 'h', pid: 1, startTicks: null }, 0] }),
			encodeFrame({ id: 2, op: 'run.beginDispatch', args: [{ who: 'alice', hosts: 'h1', moduleHash: 'm', scriptText: '', options: {} }] }),
			encodeFrame({ id: 3, op: 'run.hostLoaded', args: ['nosuchrun', 'h1', {}] }),
		]));
		t.like(badRecord.answers.find((a) => (a as { id: number }).id === 2), { ok: false, error: { message: 'a dispatch needs at least one host' } });
		t.like(badRecord.answers.find((a) => (a as { id: number }).id === 3), { ok: false, error: { message: 'audit keeper: bad run.hostLoaded request: run nosuchrun was not begun in this session' } });

		const header = Buffer.alloc(4);
		header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
		t.true((await rawExchange(place.socketPath, header)).closed, 'an oversized frame ends the connection at once');
		const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]);
		t.true((await rawExchange(place.socketPath, notJson)).closed);

		t.true(await answers(place), 'the keeper still serves');
		t.regex(readFileSync(place.logPath, 'utf8'), /dropped a client: audit keeper frame of \d+ bytes is over the limit/);
	}),
);

test('frames: split anywhere, joined, and the size limit checked from the header alone', (t) => {
	const frames = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'é'.repeat(1000) }), encodeFrame([1, 2])]);
	for (const cut of [1, 3, 4, 5, 17, frames.length - 1]) {
		const r = new FrameReader();
		t.deepEqual([...r.push(frames.subarray(0, cut)), ...r.push(frames.subarray(cut))], [{ a: 1 }, { b: 'é'.repeat(1000) }, [1, 2]]);
	}
	const head = Buffer.alloc(4);
	head.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
	t.throws(() => new FrameReader().push(head), { message: /over the limit/ });
	const atLimit = Buffer.alloc(4);
	atLimit.writeUInt32BE(MAX_FRAME_BYTES, 0);
	t.deepEqual(new FrameReader().push(atLimit), [], 'a frame of exactly the limit is awaited, not refused');
});
