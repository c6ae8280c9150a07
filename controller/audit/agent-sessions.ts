// From what an agent reports (ListSessions in tapfleet.v1.AgentService) to
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
