// Importing agents' journals: what each agent says it loaded and unloaded,
// matched against the controllers' own records, so the central log also
// shows what another controller, or nobody, loaded.
import type { AuditBackend } from './backend.js';
import type { JournalLoadBody, JournalUnloadBody } from './bodies.js';
import { makeEvent, type NewEvent } from './event.js';
import type { GroupCommit } from './group-commit.js';
import { AuditInputError, boundMessage, checkCount, checkIdentifier, checkOneOf, checkOptionalIdentifier, LIMITS } from './limits.js';
import { END_REASONS, type AgentJournalEntry, type ImportSummary } from './types.js';

/** How long before an agent's load its run may have been dispatched, to match it without a session record. */
const PENDING_MATCH_WINDOW_MS = 10 * 60 * 1000;
const CLOCK_SKEW_MS = 60 * 1000;

/**
 * Imports an agent's journal of loads and unloads. Entries already imported
 * are skipped, so pulling the whole journal again is harmless. A load is
 * matched to a controller record by session id, by the run id the
 * controller passed with the load, or to a run of the same script still
 * pending on the host; one that matches none of them is flagged.
 */
export async function importAgentJournal(
	backend: AuditBackend,
	appender: GroupCommit,
	hostName: string,
	entries: AgentJournalEntry[],
): Promise<ImportSummary> {
	const host = checkIdentifier('host', hostName);
	if (entries.length > LIMITS.journalEntriesPerImport) {
		throw new AuditInputError(`import at most ${LIMITS.journalEntriesPerImport} journal entries at once`);
	}
	const summary: ImportSummary = { imported: 0, alreadyKnown: 0, unmatchedLoads: 0 };
	const rows: NewEvent[] = [];
	// Sessions seen earlier in this same batch.
	const batchRuns = new Map<string, string | null>();
	const batchSeen = new Set<string>();
	for (const e of entries) {
		const sessionId = checkIdentifier('session id', e.sessionId);
		const kind = e.event === 'load' ? 'journal-load' : e.event === 'unload' ? 'journal-unload' : undefined;
		if (!kind) throw new AuditInputError(`journal entry event must be load or unload, not ${String(e.event)}`);
		const atMs = checkCount('journal entry time', e.atMs);
		const known = await backend.sessionEvents(host, sessionId);
		if (batchSeen.has(`${kind}/${sessionId}`) || known.some((r) => r.kind === kind)) {
			summary.alreadyKnown++;
			continue;
		}
		batchSeen.add(`${kind}/${sessionId}`);
		let runId = batchRuns.get(sessionId) ?? known.find((r) => r.runId !== null)?.runId ?? null;
		if (kind === 'journal-load') {
			if (runId === null && e.runId) runId = await runIncludingHost(backend, checkIdentifier('run id', e.runId), host);
			if (runId === null && e.scriptHash) runId = await pendingRunFor(backend, host, checkIdentifier('script hash', e.scriptHash), atMs);
			batchRuns.set(sessionId, runId);
			const body: JournalLoadBody = {
				atMs,
				matched: runId !== null,
				...(e.moduleHash ? { moduleHash: checkIdentifier('module hash', e.moduleHash) } : {}),
				...(e.loadedBy ? { loadedBy: checkIdentifier('loaded by', e.loadedBy) } : {}),
			};
			if (runId === null) summary.unmatchedLoads++;
			rows.push(
				makeEvent({
					kind,
					runId,
					host,
					sessionId,
					who: checkOptionalIdentifier('loaded by', e.loadedBy),
					scriptHash: checkOptionalIdentifier('script hash', e.scriptHash),
					body,
				}),
			);
		} else {
			const body: JournalUnloadBody = {
				atMs,
				...(e.endedBy ? { endedBy: checkOneOf('journal end reason', e.endedBy, END_REASONS) } : {}),
				...(e.message ? { message: boundMessage(e.message) } : {}),
			};
			rows.push(makeEvent({ kind, runId, host, sessionId, body }));
		}
		summary.imported++;
	}
	await appender.append(rows);
	return summary;
}

/** The run id if that run was dispatched to this host, else null. */
async function runIncludingHost(backend: AuditBackend, runId: string, host: string): Promise<string | null> {
	const rows = await backend.eventsOfRuns([runId]);
	return rows.some((r) => r.kind === 'host-pending' && r.host === host) ? runId : null;
}

/**
 * A run of this script still pending on this host when the agent loaded it:
 * the controller died between the Load and recording it. Dispatched at
 * most PENDING_MATCH_WINDOW_MS before the load (allowing for clock skew
 * after it); the most recent wins.
 */
async function pendingRunFor(backend: AuditBackend, host: string, scriptHash: string, atMs: number): Promise<string | null> {
	const candidates = await backend.find(
		{ host, scriptHashPrefix: scriptHash, kinds: ['host-pending'], sinceMs: atMs - PENDING_MATCH_WINDOW_MS, untilMs: atMs + CLOCK_SKEW_MS },
		10,
	);
	for (const c of candidates) {
		const rows = await backend.eventsOfRuns([c.runId!]);
		const loaded = rows.some((r) => r.host === host && r.sessionId !== null);
		if (!loaded && rows.some((r) => r.kind === 'dispatch')) return c.runId;
	}
	return null;
}
