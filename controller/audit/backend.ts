// What a storage backend must provide. Everything above this (recording,
// deriving runs, queries, verification) is shared, so SQLite and PostgreSQL
// behave the same by construction and are tested by the same suite.
import type { ChainHead, EventKind, EventRow, NewEvent } from './event.js';

export interface EventFilter {
	host?: string;
	who?: string;
	sinceMs?: number;
	untilMs?: number;
	scriptHashPrefix?: string;
	kinds?: readonly EventKind[];
}

/** What a run reads after its write-ahead record (see AuditWriter.runChecks). */
export interface RunChecks {
	/** openDispatches(sinceMs). */
	open: EventRow[];
	/** lastJournalImports(hosts). */
	lastImports: Map<string, number>;
	/** find({ kinds: ['run-interrupted'], sinceMs }, interruptedLimit). */
	interrupted: EventRow[];
}

export interface AuditBackend {
	readonly kind: 'sqlite' | 'postgres';
	/** Where the log lives, with any password removed. */
	readonly location: string;
	/** Applies pending schema migrations (safe when several controllers start at once). */
	migrate(): Promise<void>;
	/**
	 * Appends events atomically at the end of the chain; concurrent appenders
	 * (other processes too) are serialized. Committed (visible to others, kept
	 * if this process is killed) when the promise settles; with `durable`, also
	 * flushed to stable storage (kept through a power loss), with every commit
	 * before it.
	 */
	append(events: NewEvent[], durable: boolean): Promise<EventRow[]>;
	/** Rows matching every filter, newest first. */
	find(filter: EventFilter, limit: number): Promise<EventRow[]>;
	/** All rows of these runs, in chain order. */
	/** With `onHosts`: only each run's dispatch row and its rows on those hosts (enough to fold those hosts' states). */
	eventsOfRuns(runIds: readonly string[], onHosts?: readonly string[]): Promise<EventRow[]>;
	/** Rows of one agent session on one host, in chain order. */
	sessionEvents(host: string, sessionId: string): Promise<EventRow[]>;
	/** Run ids of dispatches starting with `prefix` (at most `limit`). */
	runIdsWithPrefix(prefix: string, limit: number): Promise<string[]>;
	/** Dispatch rows since `sinceMs` with neither a finished nor an interrupted row. */
	openDispatches(sinceMs: number): Promise<EventRow[]>;
	/** Rows with seq in (afterSeq, uptoSeq], in order, at most `limit`. */
	scan(afterSeq: number, uptoSeq: number, limit: number): Promise<EventRow[]>;
	head(): Promise<ChainHead>;
	/** When each of these hosts' agent journals was last imported (absent: never). */
	lastJournalImports(hosts: readonly string[]): Promise<Map<string, number>>;
	/** Notes that these hosts' agent journals were imported at `atMs`. */
	noteJournalImports(hosts: readonly string[], atMs: number): Promise<void>;
	/** The three reads of RunChecks at once (PostgreSQL: one statement, one round trip). */
	runChecks(hosts: readonly string[], sinceMs: number, interruptedLimit: number): Promise<RunChecks>;
	close(): Promise<void>;
}
