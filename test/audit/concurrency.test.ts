// Two controller processes appending to one log at the same time keep one
// consistent chain (PostgreSQL: the locked chain-head row; SQLite: its write lock).
import test from 'ava';
import { openAuditLog } from '../../controller/audit/index.js';
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
