// The whole story with a real agent and a real module: the controller is
// killed (SIGKILL) between load and unload; the next controller records the
// run as interrupted; once the lease expires the agent unloads, and its
// journal, imported, puts that unload in the run's record.
import test from 'ava';
import { journalFromAgentLines, journalFromSessions, openAuditLog, type AgentJournalLine } from '../../controller/audit/index.js';
import { buildModule, clientFor, inProcessAgent, readJournal, tempDir, testPki } from '../agent/helpers.js';
import { BACKENDS, makeTestDb } from './helpers/backends.js';
import { exitOf, spawnHelper, waitForLine } from './helpers/child.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v !== undefined) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

for (const kind of BACKENDS) {
	test(`${kind}: a controller killed mid-run: interrupted in the audit, then the agent unload at lease expiry`, async (t) => {
		const pki = await testPki(1);
		const ticks = await buildModule('ticks', tempDir('audit-mod'));
		const agent = await inProcessAgent(pki, 'a0');
		t.teardown(() => agent.stop());
		const db = await makeTestDb(kind);
		t.teardown(() => db.dispose());

		const child = spawnHelper('agent-dispatch-child', [db.spec, agent.address, pki.dir, ticks, '1']);
		const [, runId, sessionId] = (await waitForLine(child, /READY (\S+) (\S+)/)) as unknown as [string, string, string];
		child.kill('SIGKILL');
		t.is((await exitOf(child)).signal, 'SIGKILL');

		const audit = await openAuditLog(db.spec);
		t.teardown(() => audit.close());
		t.like(await audit.show(runId), { state: 'interrupted', hosts: [{ host: agent.address, state: 'interrupted', sessionId }] });

		const observer = clientFor(agent.address, pki.observerTls);
		t.teardown(() => observer.close());
		const sessions = await until('the lease to expire', async () => {
			const listed = await observer.listSessions();
			return listed.some((s) => s.sessionId === sessionId && s.state === 'finished') ? listed : undefined;
		});
		// Both ways a controller learns what the agent did agree.
		const fromJournal = await audit.importAgentJournal(agent.address, journalFromAgentLines(readJournal(agent.stateDir) as AgentJournalLine[]));
		t.like(fromJournal, { unmatchedLoads: 0 });
		t.true(fromJournal.imported >= 2);
		t.like(await audit.importAgentJournal(agent.address, journalFromSessions(sessions)), { imported: 0, unmatchedLoads: 0 });

		const host = (await audit.show(runId)).hosts[0]!;
		t.like(host, { state: 'ended', endedBy: 'lease-expiry', source: 'agent-journal', sessionId });
		const entry = (await audit.list({ host: agent.address })).entries[0]!;
		t.like(entry, { runId, outcome: 'lease-expiry' });
		t.true((await audit.verify()).ok);
	});
}
