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
import { openDispatchesSql } from '../../controller/audit/sql.js';

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

// Every run reads the open runs after its write-ahead record. On a SQLite log
// that no `tapfleet audit` query has analysed (no sqlite_stat1), the planner
// once walked every dispatch of the log through the kind index for it (25 ms
// a run at 9,000 runs, growing with the log); the read must start from the
// hint's few rows and reach each dispatch through its run id.
test('sqlite: without statistics, the open runs are read from the hint, each dispatch through its run id, never by walking the dispatches', async (t) => {
	const db = await makeTestDb('sqlite');
	t.teardown(() => db.dispose());
	const log = await openAuditLog(db.spec, { recover: false });
	t.teardown(() => log.close());
	const rows = [];
	for (let i = 0; i < 300; i++) {
		const body = { hosts: ['h1'], moduleHash: 'm', scriptText: SCRIPT, options: {}, controller: log.controller };
		rows.push(makeEvent({ kind: 'dispatch', runId: `done-${i}`, who: WHO, body }), makeEvent({ kind: 'dispatch-finished', runId: `done-${i}`, who: WHO, body: {} }));
	}
	await appenderOf(log).append(rows);
	const run = await log.beginDispatch({ who: WHO, hosts: ['h1'], moduleHash: 'm1', scriptText: SCRIPT, options: {} });
	t.deepEqual(await db.raw("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"), [], 'no statistics');
	const sql = openDispatchesSql(0);
	const plan = (await db.raw(`EXPLAIN QUERY PLAN ${sql.text}`, sql.params)).map((r) => String(r.detail));
	t.regex(plan[0] ?? '', /^SCAN o\b/, plan.join(' | '));
	t.regex(plan[1] ?? '', /^SEARCH l USING INDEX audit_log_(dispatch_run_id|run) \(run_id=\?/, plan.join(' | '));
	t.false(plan.some((p) => p.includes('audit_log_kind_at')), plan.join(' | '));
	t.deepEqual(await openRunIds(log), [run.runId]);
});
