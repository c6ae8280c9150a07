// What a run records through (controller/dispatch/run-audit.ts for runs
// through agents, local-run.ts for -c/-o): the audit log in this process
// (open.ts, AuditLog), or the audit keeper's (keeper/run-client.ts), which
// then does the writing itself, so that a one-shot `tapfleet run` loads and
// runs little of the audit's code (docs/audit.md, "The audit keeper").
import type { AgentJournalEntry, CompileRecord, DispatchRecord, HostEnded, HostLoaded, ImportSummary, RefusalRecord } from './types.js';

/** What a dispatch records after its write-ahead record, host by host (run-recorder.ts). */
export interface RunRecording {
	readonly runId: string;
	hostLoaded(host: string, loaded: HostLoaded): Promise<void>;
	hostEnded(host: string, ended: HostEnded): Promise<void>;
	/** The controller or the agent refused this host (nothing was loaded there). */
	hostRefused(host: string, reason: RefusalRecord['reason'], message: string, moduleHash?: string): Promise<void>;
	/** The run is over on every host. */
	finish(): Promise<void>;
}

/** What a run reads and does once its write-ahead record is in (one read of the log for both). */
export interface AfterWriteAhead {
	/** Which of the hosts' agent journals the run imports (audit-log.ts journalImportsDue). */
	importsDue: Promise<Set<string>>;
	/** Runs of dead controllers on this machine, marked interrupted: their ids. */
	recovered: Promise<string[]>;
}

export interface RunLog {
	/** Where the log lives (a file, or a URL without its password). */
	readonly location: string;
	/** True when the keeper records the run (keeper/run-client.ts). */
	readonly throughKeeper: boolean;
	recordCompile(rec: CompileRecord): Promise<void>;
	/** The write-ahead record: settles once committed and flushed. */
	beginDispatch(rec: DispatchRecord): Promise<RunRecording>;
	afterWriteAhead(hosts: readonly string[], nowMs: number): AfterWriteAhead;
	importAgentJournal(host: string, entries: AgentJournalEntry[]): Promise<ImportSummary>;
	noteJournalImports(hosts: readonly string[]): Promise<void>;
	/** Commits every record made so far, and every later one, at once. */
	endBatching(): Promise<void>;
	/** Waits for every record made so far to be committed, then closes. */
	close(): Promise<void>;
}
