// Write-ahead: a controller killed (SIGKILL) between load and unload leaves
// an incomplete run; the next controller records it as interrupted, and the
// agent's journal then supplies the unload the lease expiry caused.
import test from 'ava';
import { openAuditLog } from '../../controller/audit/index.js';
import { BACKENDS, makeTestDb } from './helpers/backends.js';
import { exitOf, spawnHelper, waitForLine } from './helpers/child.js';

for (const kind of BACKENDS) {
	test(`${kind}: a controller killed mid-run leaves an interrupted run, then the agent's unload`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const child = spawnHelper('dispatch-child', [db.spec]);
		const [, runId] = (await waitForLine(child, /READY (\S+)/)) as unknown as [string, string];
		child.kill('SIGKILL');
		t.is((await exitOf(child)).signal, 'SIGKILL');

		// Looking without recovery: the write-ahead record is there, incomplete.
		const reader = await openAuditLog(db.spec, { recover: false });
		const before = await reader.show(runId);
		t.is(before.state, 'incomplete');
		t.like(before.hosts, [{ host: 'web1', state: 'loaded', sessionId: 's1' }, { host: 'web2', state: 'pending' }]);
		await reader.close();

		// The next controller on this machine notices the dead owner.
		const log = await openAuditLog(db.spec);
		t.teardown(() => log.close());
		const after = await log.show(runId);
		t.is(after.state, 'interrupted');
		t.like(after.hosts, [{ host: 'web1', state: 'interrupted' }, { host: 'web2', state: 'interrupted' }]);
		const entry = (await log.list({ host: 'web1' })).entries[0]!;
		t.is(entry.outcome, 'interrupted');
		t.regex(entry.detail!, /controller \S+ pid \d+ died/);

		// Once the lease expires, the agent unloads; its journal tells the audit.
		await log.importAgentJournal('web1', [
			{ sessionId: 's1', event: 'load', atMs: before.hosts[0]!.loadedAtMs! },
			{ sessionId: 's1', event: 'unload', atMs: Date.now(), endedBy: 'lease-expiry' },
		]);
		const final = await log.show(runId);
		t.is(final.state, 'interrupted');
		t.like(final.hosts[0], { state: 'ended', endedBy: 'lease-expiry', source: 'agent-journal' });
		t.is((await log.list({ host: 'web1' })).entries.find((e) => e.kind === 'run')!.outcome, 'lease-expiry');
		// Recovery ran once: a second controller adds nothing.
		t.deepEqual(await log.recoverInterruptedRuns(), []);
		t.true((await log.verify()).ok);
	});
}
