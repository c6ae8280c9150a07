// What the audit log records (inputs from the controller and from agents'
// journals) and what queries return (views derived from the event rows).

/** How a host's session ended. */
export const END_REASONS = ['exit', 'time-limit', 'interrupt', 'lease-expiry', 'agent-restart', 'unload', 'error'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** Why something was refused before anything was loaded. */
export const REFUSAL_REASONS = ['build-id-mismatch', 'bad-signature', 'unauthorised-client', 'other'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Who did it: `cert:<identity in the client certificate>` or `user:<name>@<host>`. */
export type Identity = string;

export interface CompileRecord {
	who: Identity;
	scriptText: string;
	/** sha256 of the script text; computed when left out. */
	scriptHash?: string;
	moduleHash: string;
	targetBuildId: string;
	targetRelease: string;
	runtime: string;
	/** e.g. { tapfleet: '0.1.0', clang: '14.0.6' } */
	toolVersions: Record<string, string>;
}

export interface DispatchRecord {
	/** Chosen by the caller, or generated (12 hex digits). */
	runId?: string;
	who: Identity;
	hosts: string[];
	moduleHash: string;
	scriptText: string;
	scriptHash?: string;
	/** The run's options as given (lease, time limit, arguments, ...): stored as JSON. */
	options: Record<string, unknown>;
}

export interface HostLoaded {
	sessionId: string;
	/** When the agent says it loaded the module (defaults to now). */
	loadedAtMs?: number;
}

export interface HostEnded {
	endedBy: EndReason;
	message?: string;
	firstOutputAtMs?: number;
	unloadedAtMs?: number;
	outputBytes: number;
	outputLines: number;
	dropped: number;
}

export interface RefusalRecord {
	who: Identity;
	reason: RefusalReason;
	message: string;
	host?: string;
	runId?: string;
	moduleHash?: string;
	scriptHash?: string;
}

/** One line of an agent's journal of loads and unloads, as the controller pulls it. */
export interface AgentJournalEntry {
	sessionId: string;
	event: 'load' | 'unload';
	atMs: number;
	moduleHash?: string;
	scriptHash?: string;
	/** The run id the loading controller passed with the load, if any. */
	runId?: string;
	/** The identity that asked for the load, as the agent saw it. */
	loadedBy?: string;
	/** For an unload: why. */
	endedBy?: EndReason;
	message?: string;
}

export interface ImportSummary {
	imported: number;
	alreadyKnown: number;
	/** Loads with no controller record: someone else (or nobody) loaded them. */
	unmatchedLoads: number;
}

// ---- derived views -------------------------------------------------------

export type HostState = 'pending' | 'loaded' | 'ended' | 'refused' | 'interrupted';
export type RunState = 'incomplete' | 'interrupted' | 'finished';

export interface HostOutcome {
	host: string;
	state: HostState;
	sessionId?: string;
	loadedAtMs?: number;
	firstOutputAtMs?: number;
	unloadedAtMs?: number;
	endedBy?: EndReason;
	message?: string;
	outputBytes?: number;
	outputLines?: number;
	dropped?: number;
	refusal?: RefusalReason;
	/** Who reported the end: the controller, or the agent's journal. */
	source?: 'controller' | 'agent-journal';
}

export interface RunView {
	runId: string;
	who: Identity;
	startedAtMs: number;
	finishedAtMs?: number;
	state: RunState;
	scriptHash: string;
	scriptText: string;
	moduleHash: string;
	options: Record<string, unknown>;
	controller: string;
	hosts: HostOutcome[];
	firstSeq: number;
}

export type EntryKind = 'run' | 'compile' | 'refusal' | 'agent-load';

export interface AuditEntry {
	kind: EntryKind;
	atMs: number;
	runId?: string;
	host?: string;
	who?: string;
	scriptHash?: string;
	moduleHash?: string;
	outcome: string;
	detail?: string;
	firstSeq: number;
}

export interface AuditQuery {
	host?: string;
	user?: string;
	sinceMs?: number;
	untilMs?: number;
	/** Full hash or a prefix of it. */
	scriptHash?: string;
	limit?: number;
}

export interface AuditListing {
	entries: AuditEntry[];
	truncated: boolean;
}

export interface VerifyResult {
	ok: boolean;
	rowsChecked: number;
	headHash: string;
	firstBrokenSeq?: number;
	problem?: string;
}
