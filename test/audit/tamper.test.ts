// Editing or deleting audit rows behind the audit's back is caught by
// verify, which names the first broken row. On SQLite and PostgreSQL.
import test from 'ava';
import { rowHash } from '../../controller/audit/event.js';
import type { AuditLog } from '../../controller/audit/index.js';
import { toEventRow } from '../../controller/audit/sql.js';
import { BACKENDS, withAuditLog } from './helpers/backends.js';

/** Six rows: a compile, a two-host dispatch (3 rows), a load, the finish. */
async function fillSixRows(log: AuditLog): Promise<void> {
	const base = { who: 'user:alice@ctl', scriptText: 'probe begin { exit() }' };
	await log.recordCompile({ ...base, moduleHash: 'm', targetBuildId: 'b', targetRelease: 'r', runtime: 'bpf', toolVersions: {} });
	const run = await log.beginDispatch({ ...base, hosts: ['web1', 'web2'], moduleHash: 'm', options: {} });
	await run.hostLoaded('web1', { sessionId: 's1' });
	await run.finish();
}

for (const kind of BACKENDS) {
	test(`${kind}: an untouched log verifies`, (t) =>
		withAuditLog(kind, async (log) => {
			t.like(await log.verify(), { ok: true, rowsChecked: 0 });
			await fillSixRows(log);
			const v = await log.verify();
			t.like(v, { ok: true, rowsChecked: 6 });
			t.regex(v.headHash, /^[0-9a-f]{64}$/);
		}));

	test(`${kind}: an edited row is named`, (t) =>
		withAuditLog(kind, async (log, db) => {
			await fillSixRows(log);
			await db.raw("UPDATE audit_log SET who = 'user:mallory@ctl' WHERE seq = 3");
			t.like(await log.verify(), { ok: false, firstBrokenSeq: 3, rowsChecked: 2, problem: 'row 3 was modified: its contents do not match its hash' });
		}));

	test(`${kind}: a row forged with a correct hash of its own breaks the link of the next`, (t) =>
		withAuditLog(kind, async (log, db) => {
			await fillSixRows(log);
			// A careful forger changes row 2 and stores the right hash for its new contents.
			const [stored] = await db.raw('SELECT * FROM audit_log WHERE seq = 2');
			const forged = { ...toEventRow(stored!), who: 'user:mallory@ctl' };
			const hash = rowHash(forged.prevHash, forged.seq, forged);
			const p = kind === 'sqlite' ? ['?', '?'] : ['$1', '$2'];
			await db.raw(`UPDATE audit_log SET who = ${p[0]}, hash = ${p[1]} WHERE seq = 2`, [forged.who, hash]);
			t.like(await log.verify(), {
				ok: false,
				firstBrokenSeq: 3,
				problem: 'row 3 does not link to row 2: row 2 was changed or replaced',
			});
		}));

	test(`${kind}: a deleted row is named`, (t) =>
		withAuditLog(kind, async (log, db) => {
			await fillSixRows(log);
			await db.raw('DELETE FROM audit_log WHERE seq = 4');
			t.like(await log.verify(), { ok: false, firstBrokenSeq: 4, problem: 'row 4 is missing (deleted): row 5 follows row 3' });
		}));

	test(`${kind}: rows deleted from the end are named`, (t) =>
		withAuditLog(kind, async (log, db) => {
			await fillSixRows(log);
			await db.raw('DELETE FROM audit_log WHERE seq >= 5');
			t.like(await log.verify(), {
				ok: false,
				firstBrokenSeq: 5,
				problem: 'rows 5-6 are missing (deleted from the end; the chain head records row 6)',
			});
		}));

	test(`${kind}: appends after a verify extend the same chain`, (t) =>
		withAuditLog(kind, async (log) => {
			await fillSixRows(log);
			const first = await log.verify();
			await fillSixRows(log);
			const second = await log.verify();
			t.like(second, { ok: true, rowsChecked: 12 });
			t.not(second.headHash, first.headHash);
		}));
}
