// A run's records after its write-ahead one may wait to share a commit
// (openAuditLog's batchMs): on SQLite and PostgreSQL, the write-ahead record
// is committed before beginDispatch returns whatever is queued, and every
// queued record is written by the end of the run (endBatching) or close(),
// never lost by a controller that ends normally. Observed through a second
// connection to the same log, as another controller would see it.
import test from 'ava';
import { openAuditLog } from '../../controller/audit/index.js';
import { BACKENDS, makeTestDb } from './helpers/backends.js';

const SCRIPT = 'probe begin { exit() }';
const WHO = 'user:alice@ctl1';
/** Longer than any test: nothing here is written by the batch timer. */
const NEVER_MS = 600_000;

for (const kind of BACKENDS) {
	test(`${kind}: batched records wait for the run's end; the write-ahead record does not, and takes the queued ones with it`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const log = await openAuditLog(db.spec, { batchMs: NEVER_MS });
		const reader = await openAuditLog(db.spec, { recover: false });
		t.teardown(() => reader.close());

		const first = await log.beginDispatch({ who: WHO, hosts: ['h1', 'h2'], moduleHash: 'm1', scriptText: SCRIPT, options: {} });
		t.like(await reader.show(first.runId), { state: 'incomplete' });

		const loaded = first.hostLoaded('h1', { sessionId: 's1' });
		const ended = first.hostEnded('h1', { endedBy: 'exit', outputBytes: 3, outputLines: 1, dropped: 0 });
		await new Promise((r) => setTimeout(r, 50));
		t.like((await reader.show(first.runId)).hosts[0], { host: 'h1', state: 'pending' }, 'queued, not yet committed');

		// A second run's write-ahead record is committed at once, with everything queued before it.
		const second = await log.beginDispatch({ who: WHO, hosts: ['h3'], moduleHash: 'm2', scriptText: SCRIPT, options: {} });
		await Promise.all([loaded, ended]);
		t.like((await reader.show(first.runId)).hosts[0], { host: 'h1', state: 'ended', endedBy: 'exit', sessionId: 's1' });
		t.like(await reader.show(second.runId), { state: 'incomplete' });

		// The end of the run writes what is left, and everything after it at once.
		const refused = first.hostRefused('h2', 'build-id-mismatch', 'wanted abcd');
		await log.endBatching();
		await refused;
		await first.finish();
		t.like(await reader.show(first.runId), { state: 'finished', hosts: [{ state: 'ended' }, { host: 'h2', state: 'refused' }] });

		await log.close();

		// close() writes anything still queued.
		const another = await openAuditLog(db.spec, { batchMs: NEVER_MS });
		const third = await another.beginDispatch({ who: WHO, hosts: ['h4'], moduleHash: 'm3', scriptText: SCRIPT, options: {} });
		const queued = third.hostLoaded('h4', { sessionId: 's4' });
		t.like((await reader.show(third.runId)).hosts[0], { host: 'h4', state: 'pending' });
		await another.close();
		await queued;
		t.like((await reader.show(third.runId)).hosts[0], { host: 'h4', state: 'loaded', sessionId: 's4' });
		t.like(await reader.verify(), { ok: true });
	});
}
