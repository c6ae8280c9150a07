// The open-run hint (audit_open_run, migration 5), which a run reads to find
// open runs of dead controllers instead of probing every dispatch of the last
// week: on SQLite and PostgreSQL, a dispatch enters it, its finish or its
// interrupted row takes it out (in the same commit, a batch holding both
// included), and migrating a log written before it fills it from the rows.
import { hostname } from 'node:os';
import test from 'ava';
import { openAuditLog, type AuditLog } from '../../controller/audit/index.js';
import { makeEvent } from '../../controller/audit/event.js';
import type { GroupCommit } from '../../controller/audit/group-commit.js';
import { BACKENDS, makeTestDb } from './helpers/backends.js';

const SCRIPT = 'probe begin { exit() }';
const WHO = 'user:alice@ctl1';

async function openRunIds(log: AuditLog): Promise<string[]> {
	return (await log.runChecks([])).open.map((r) => r.runId!);
}

/** The log's appender, to commit rows in one batch as group commit may. */
function appenderOf(log: AuditLog): GroupCommit {
	return (log as unknown as { appender: GroupCommit }).appender;
}

/** A dispatch row as a controller on this machine that is gone wrote it (a pid no process has). */
function deadControllersDispatch(runId: string) {
	const controller = { hostname: hostname(), pid: 4_194_303, startTicks: '1' };
	return makeEvent({ kind: 'dispatch', runId, who: WHO, scriptHash: 'x', body: { hosts: ['h1'], moduleHash: 'm', scriptText: SCRIPT, options: {}, controller } });
}

for (const kind of BACKENDS) {
	test(`${kind}: a run is open from its dispatch until its finish or its interrupted row`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const log = await openAuditLog(db.spec, { recover: false });
		t.teardown(() => log.close());

		const run = await log.beginDispatch({ who: WHO, hosts: ['h1'], moduleHash: 'm1', scriptText: SCRIPT, options: {} });
		t.deepEqual(await openRunIds(log), [run.runId], 'open once dispatched');
		await run.finish();
		t.deepEqual(await openRunIds(log), [], 'closed by its finish');

		// A dispatch and its finish in one commit never show as open.
		await appenderOf(log).append([
			makeEvent({ kind: 'dispatch', runId: 'both-at-once', who: WHO, body: { hosts: ['h1'], moduleHash: 'm', scriptText: SCRIPT, options: {}, controller: log.controller } }),
			makeEvent({ kind: 'dispatch-finished', runId: 'both-at-once', who: WHO, body: {} }),
		]);
		t.deepEqual(await openRunIds(log), []);

		// A dead controller's run: found open, marked interrupted, then closed.
		await appenderOf(log).append([deadControllersDispatch('dead-one')]);
		t.deepEqual(await openRunIds(log), ['dead-one']);
		t.deepEqual(await log.recoverInterruptedRuns(), ['dead-one']);
		t.deepEqual(await openRunIds(log), []);
		t.deepEqual(await log.recoverInterruptedRuns(), [], 'marked once');
		t.true((await log.verify()).ok);
	});

	test(`${kind}: migrating a log written before the hint fills it with the runs still open`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const old = await openAuditLog(db.spec, { recover: false });
		const open = await old.beginDispatch({ who: WHO, hosts: ['h1'], moduleHash: 'm1', scriptText: SCRIPT, options: {} });
		const done = await old.beginDispatch({ who: WHO, hosts: ['h2'], moduleHash: 'm1', scriptText: SCRIPT, options: {} });
		await done.finish();
		await old.close();
		// As schema version 4 left it.
		await db.raw('DROP TABLE audit_open_run');
		await db.raw('DELETE FROM audit_schema_version WHERE version = 5');

		const log = await openAuditLog(db.spec, { recover: false });
		t.teardown(() => log.close());
		t.deepEqual(await openRunIds(log), [open.runId]);
	});
}
