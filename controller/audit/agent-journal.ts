// From what an agent reports (ListSessions in tapfleet.v1.AgentService, or
// the lines of its journal file) to
// journal entries the audit can import. Structural types keep this file
// independent of the agent proto's generated code.
import type { AgentJournalEntry, EndReason } from './types.js';

/** The agent's SessionExit.reason words, mapped to the audit's end reasons. */
const AGENT_REASONS: Record<string, EndReason> = {
	exited: 'exit',
	unloaded: 'unload',
	forced: 'unload',
	'lease expired': 'lease-expiry',
	'time limit': 'time-limit',
	'agent restarted': 'agent-restart',
};

export function endReasonFromAgent(reason: string | undefined): EndReason {
	return (reason && AGENT_REASONS[reason]) || 'error';
}

export interface AgentSessionLike {
	sessionId: string;
	owner: string;
	startedAtMs: bigint | number;
	state: string;
	scriptSha256?: string;
	exit?: { reason: string; exitCode: number; signal: string } | undefined;
}

/**
 * Journal entries for the sessions an agent lists: a load for each, and an
 * unload for each finished one (timed at `pulledAtMs`, as the listing
 * carries no unload time).
 */
export function journalFromSessions(sessions: AgentSessionLike[], pulledAtMs = Date.now()): AgentJournalEntry[] {
	const entries: AgentJournalEntry[] = [];
	for (const s of sessions) {
		entries.push({
			sessionId: s.sessionId,
			event: 'load',
			atMs: Number(s.startedAtMs),
			...(s.scriptSha256 ? { scriptHash: s.scriptSha256 } : {}),
			...(s.owner ? { loadedBy: s.owner } : {}),
		});
		if (s.state === 'finished') {
			const exit = s.exit;
			entries.push({
				sessionId: s.sessionId,
				event: 'unload',
				atMs: pulledAtMs,
				endedBy: endReasonFromAgent(exit?.reason),
				...(exit && exit.reason !== 'exited' ? { message: `${exit.reason} (exit ${exit.exitCode}${exit.signal ? `, ${exit.signal}` : ''})` } : {}),
			});
		}
	}
	return entries;
}

/** Lines of the agent's own journal file (agent/journal.ts), structurally. */
export type AgentJournalLine =
	| { event: 'loaded'; ts: string; session: string; module?: string; scriptSha256?: string; owner?: string }
	| { event: 'finished'; ts: string; session: string; reason: string; exitCode?: number; signal?: string }
	| { event: 'reconciled'; ts: string; session: string; action: string; reason: string }
	| { event: string; ts: string; session?: string };

/**
 * Journal entries from the lines of an agent's journal: `loaded` becomes a
 * load, `finished` an unload with its reason, `reconciled` (a restarted agent
 * cleaning up after a crash) an unload by agent restart. Other lines are
 * not about loads.
 */
export function journalFromAgentLines(lines: AgentJournalLine[]): AgentJournalEntry[] {
	const entries: AgentJournalEntry[] = [];
	for (const line of lines) {
		const atMs = Date.parse(line.ts);
		if (!line.session || Number.isNaN(atMs)) continue;
		if (line.event === 'loaded') {
			const l = line as Extract<AgentJournalLine, { event: 'loaded' }>;
			entries.push({
				sessionId: l.session,
				event: 'load',
				atMs,
				...(l.scriptSha256 ? { scriptHash: l.scriptSha256 } : {}),
				...(l.owner ? { loadedBy: l.owner } : {}),
			});
		} else if (line.event === 'finished') {
			const f = line as Extract<AgentJournalLine, { event: 'finished' }>;
			const endedBy = endReasonFromAgent(f.reason);
			entries.push({
				sessionId: f.session,
				event: 'unload',
				atMs,
				endedBy,
				...(endedBy === 'exit' ? {} : { message: `${f.reason} (exit ${f.exitCode ?? '?'}${f.signal ? `, ${f.signal}` : ''})` }),
			});
		} else if (line.event === 'reconciled') {
			const r = line as Extract<AgentJournalLine, { event: 'reconciled' }>;
			entries.push({ sessionId: r.session, event: 'unload', atMs, endedBy: 'agent-restart', message: `${r.action}: ${r.reason}` });
		}
	}
	return entries;
}
