// An agent's real journal file (agent/journal.ts), imported into the audit:
// controller-recorded sessions are matched, strangers flagged, reasons mapped;
// and when a run imports a host's journal.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../agent/journal.js';
import { JOURNAL_IMPORT_INTERVAL_MS } from '../../controller/audit/audit-log.js';
import { journalFromAgentLines, journalFromSessions, openAuditLog } from '../../controller/audit/index.js';
import { BACKENDS, makeTestDb, withAuditLog } from './helpers/backends.js';
import { exitOf, spawnHelper, waitForLine } from './helpers/child.js';

const loaded = (session: string, owner: string) =>
	({ event: 'loaded', session, module: 'mod', buildId: 'b', scriptSha256: 'ab'.repeat(32), owner, pid: 1, startTime: '1', detach: false, leaseSeconds: 30 }) as const;

for (const kind of BACKENDS) {
	test(`${kind}: an agent journal file is imported, matched and flagged`, (t) =>
		withAuditLog(kind, async (log) => {
			const dir = mkdtempSync(join(tmpdir(), 'tapfleet-agent-state-'));
			t.teardown(() => rmSync(dir, { recursive: true, force: true }));
			const journal = new Journal(dir);
			const run = await log.beginDispatch({ who: 'cert:ctl', hosts: ['web1'], moduleHash: 'mod', scriptText: 'probe end {}', options: {} });
			await run.hostLoaded('web1', { sessionId: 'ours' });
			journal.append({ event: 'agent-started', pid: 1, version: '0.1.0' });
			journal.append(loaded('ours', 'ctl'));
			journal.append(loaded('theirs', 'other-ctl'));
			journal.append({ event: 'finished', session: 'theirs', reason: 'time limit', exitCode: 0, signal: '' });
			journal.append(loaded('orphan', 'ctl'));
			journal.append({ event: 'reconciled', session: 'orphan', module: 'mod', pid: 7, action: 'killed', reason: 'no owner after restart' });
			journal.append({ event: 'finished', session: 'ours', reason: 'lease expired', exitCode: 0, signal: '' });

			const summary = await log.importAgentJournal('web1', journalFromAgentLines(journal.read()));
			t.deepEqual(summary, { imported: 6, alreadyKnown: 0, unmatchedLoads: 2 });
			const host = (await log.show(run.runId)).hosts[0]!;
			t.like(host, { state: 'ended', endedBy: 'lease-expiry', source: 'agent-journal', message: 'lease expired (exit 0)' });
			const strays = (await log.list({ host: 'web1' })).entries.filter((e) => e.kind === 'agent-load');
			t.is(strays.length, 2);
			t.regex(strays.find((e) => e.who === 'other-ctl')!.detail!, /unloaded \(time-limit\)/);
			t.regex(strays.find((e) => e.who === 'ctl')!.detail!, /session orphan .*unloaded \(agent-restart\)/);
			t.is((await log.importAgentJournal('web1', journalFromAgentLines(journal.read()))).imported, 0);
		}));
}

test('agent session listings become journal entries with audit end reasons', (t) => {
	const entries = journalFromSessions(
		[
			{ sessionId: 'a', owner: 'ctl', startedAtMs: 5n, state: 'running' },
			{ sessionId: 'b', owner: 'ctl', startedAtMs: 6n, state: 'finished', exit: { reason: 'agent restarted', exitCode: -1, signal: 'SIGKILL' } },
		],
		99,
	);
	t.deepEqual(entries, [
		{ sessionId: 'a', event: 'load', atMs: 5, loadedBy: 'ctl' },
		{ sessionId: 'b', event: 'load', atMs: 6, loadedBy: 'ctl' },
		{ sessionId: 'b', event: 'unload', atMs: 99, endedBy: 'agent-restart', message: 'agent restarted (exit -1, SIGKILL)' },
	]);
});

for (const kind of BACKENDS) {
	test(`${kind}: a host's journal is due for import once a minute, and whenever a run of a dead controller there lacks its end`, async (t) => {
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());
		const log = await openAuditLog(db.spec, { recover: false });
		t.teardown(() => log.close());
		const now = Date.now();
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now))].sort(), ['web1', 'web2', 'web3'], 'never imported');
		await log.noteJournalImports(['web1', 'web2', 'web3'], now);
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000))], [], 'imported a second ago');
		t.deepEqual([...(await log.journalImportsDue(['web1'], now + JOURNAL_IMPORT_INTERVAL_MS))], ['web1'], 'a minute later');

		// A controller dies with web1 loaded and web2 pending (dispatch-child: hosts web1, web2).
		const child = spawnHelper('dispatch-child', [db.spec]);
		const [, runId] = (await waitForLine(child, /READY (\S+)/)) as unknown as [string, string];
		child.kill('SIGKILL');
		await exitOf(child);
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000))].sort(), ['web1', 'web2'], 'its hosts, before it is marked interrupted');
		// As a run decides it: the reads made at once (one statement on PostgreSQL) give the same answer.
		const checks = log.runChecks(['web1', 'web2', 'web3'], now + 1000);
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000, checks))].sort(), ['web1', 'web2'], 'from one read');
		t.is((await checks).lastImports.get('web3'), now);
		t.deepEqual(await log.recoverInterruptedRuns(checks), [runId], 'the dead controller\'s run, from the same read');
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000))].sort(), ['web1', 'web2'], 'and after');
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000, log.runChecks(['web1', 'web2', 'web3'], now + 1000)))].sort(), ['web1', 'web2'], 'and after, from one read');
		t.deepEqual((await log.runChecks([], now + 1000)).lastImports.size, 0, 'no hosts to look up');

		// web1's agent journal brings the end of the session (lease expiry): web1 needs nothing more.
		await log.importAgentJournal('web1', [
			{ event: 'load', sessionId: 's1', atMs: now, runId, loadedBy: 'user:alice@ctl' },
			{ event: 'unload', sessionId: 's1', atMs: now + 2000, endedBy: 'lease-expiry' },
		]);
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web2', 'web3'], now + 1000))], ['web2']);
		// Only the asked hosts' rows of the interrupted run are read (eventsOfRuns with hosts): each host's state still folds right.
		t.deepEqual([...(await log.journalImportsDue(['web2'], now + 1000))], ['web2'], 'its pending host alone');
		t.deepEqual([...(await log.journalImportsDue(['web1', 'web3'], now + 1000))], [], 'its ended host and a host it never had');
	});
}
