// Two controller processes appending to one log at the same time keep one
// consistent chain (PostgreSQL: compare-and-swap on the chain-head row, or
// that row locked; SQLite: its write lock).
import test from 'ava';
import { makeEvent } from '../../controller/audit/event.js';
import { openAuditLog } from '../../controller/audit/index.js';
import { parseAuditDb } from '../../controller/audit/location.js';
import { PostgresBackend } from '../../controller/audit/postgres-backend.js';
import { BACKENDS, makeTestDb } from './helpers/backends.js';
import { exitOf, spawnHelper, waitForLine } from './helpers/child.js';

// SQLite serializes writers by polling for its lock, which favours the writer
// that holds it: fewer runs keep its test quick on a slow disk.
const RUNS_EACH = { sqlite: 60, postgres: 150 } as const;
const ROWS_PER_RUN = 4; // dispatch, two pending hosts, finished

for (const kind of BACKENDS) {
	test(`${kind}: two controllers appending at once keep one chain`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		// Create the schema first, so both children start appending, not migrating.
		await (await openAuditLog(db.spec)).close();
		const startAt = String(Date.now() + 1500);
		const children = ['cert:ctl-a', 'cert:ctl-b'].map((who) => spawnHelper('append-child', [db.spec, String(RUNS_EACH[kind]), who, startAt]));
		await Promise.all(children.map((c) => waitForLine(c, /DONE/)));
		for (const c of children) t.is((await exitOf(c)).code, 0);

		const log = await openAuditLog(db.spec);
		t.teardown(() => log.close());
		t.like(await log.verify(), { ok: true, rowsChecked: 2 * RUNS_EACH[kind] * ROWS_PER_RUN });
		for (const who of ['cert:ctl-a', 'cert:ctl-b']) {
			const { entries } = await log.list({ user: who, limit: 10_000 });
			t.is(entries.length, RUNS_EACH[kind] * 2, `${who}: one entry per run and host`);
		}
		const order = await db.raw('SELECT who FROM audit_log ORDER BY seq');
		const switches = order.filter((r, i) => i > 0 && r.who !== order[i - 1]!.who).length;
		t.log(`writers alternated ${switches} times along the chain`);
	});
}

test('postgres: compare-and-swap appends and locked appends (what an appender falls back to after lost races) interleave into one chain', async (t) => {
	const db = await makeTestDb('postgres');
	t.teardown(() => db.dispose());
	await (await openAuditLog(db.spec)).close();
	const target = parseAuditDb(db.spec);
	if (target.kind !== 'postgres') throw new Error('expected a PostgreSQL target');
	const swapping = new PostgresBackend(target);
	const locking = new PostgresBackend(target, { swapAttempts: 0 });
	t.teardown(() => Promise.all([swapping.close(), locking.close()]));
	const rows = (who: string, i: number) => [0, 1].map(() => makeEvent({ kind: 'refusal', who, body: { reason: 'other', message: `${i}` } }));
	const BATCHES = 60;
	// Each appends, durable or not, while the other moves the head under it.
	await Promise.all(
		([swapping, locking] as const).map(async (backend, k) => {
			for (let i = 0; i < BATCHES; i++) await backend.append(rows(k ? 'cert:locking' : 'cert:swapping', i), i % 2 === 0);
		}),
	);
	const log = await openAuditLog(db.spec);
	t.teardown(() => log.close());
	t.like(await log.verify(), { ok: true, rowsChecked: 2 * BATCHES * 2 });
	const order = await db.raw('SELECT who FROM audit_log ORDER BY seq');
	t.log(`writers alternated ${order.filter((r, i) => i > 0 && r.who !== order[i - 1]!.who).length} times along the chain`);
});
