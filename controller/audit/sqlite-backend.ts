// The embedded audit store: one SQLite file (WAL mode), used by every run
// unless --audit-db names PostgreSQL. Several processes may append at once:
// BEGIN IMMEDIATE takes SQLite's write lock, which serializes appenders.
//
// Durability: commits use synchronous = NORMAL, so a commit is in the WAL
// file (the OS's page cache) when append() returns: a killed process loses
// nothing, a power loss may lose the last commits. A durable append (the
// write-ahead record of a run) commits with synchronous = FULL: SQLite
// fsyncs the WAL file (and its directory when it created the file), which
// makes that commit and every one before it survive a power loss. (Flushing
// on libuv's thread pool instead was slower: each step waits for a turn of
// an event loop busy with every host's TLS.)
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../util/make-dirs.js';
import type { AuditBackend, EventFilter, RunChecks } from './backend.js';
import { chainEvents, type ChainHead, type EventRow, type NewEvent } from './event.js';
import { checkSchemaVersion, CREATE_VERSION_TABLE, LATEST_SCHEMA_VERSION, migrationSql, MIGRATIONS } from './migrations.js';
import {
	CLOSING_KINDS,
	EVENT_COLUMNS,
	eventsOfRunsSql,
	findSql,
	HEAD_SQL,
	openDispatchesSql,
	runIdsWithPrefixSql,
	scanSql,
	sessionEventsSql,
	toEventRow,
	lastJournalImportsSql,
	noteJournalImportsSql,
	type Sql,
} from './sql.js';

function isClosing(kind: string): boolean {
	return (CLOSING_KINDS as readonly string[]).includes(kind);
}

/**
 * How long an appender waits for another process's write lock before failing.
 * SQLite's busy handler polls with back-off, so a busy writer can make another
 * wait for a while: be generous (PostgreSQL is the backend for shared logs).
 */
const BUSY_TIMEOUT_MS = 30_000;

/**
 * The log's page size, for a log this creates. A run's records touch one
 * page of each index per host (the host and session indexes are ordered by
 * host), so what a commit writes to the WAL, and what the next run's first
 * connection reads back from it to rebuild the WAL index, scale with the
 * page: at 1 KiB a 10-host run writes ~1/4 of what it wrote at SQLite's
 * default 4 KiB, the WAL is checkpointed at 1 MB rather than 4 MB, and the
 * run's audit took ~0.5-1 ms less of its main thread (open, write-ahead
 * commit, records, close; docs/audit.md). Queries on a million rows stay
 * within their goal (docs/audit.md, Benchmarks).
 */
const PAGE_SIZE = 1024;

export class SqliteBackend implements AuditBackend {
	readonly kind = 'sqlite';
	private readonly db: Database.Database;
	private readonly insert: Database.Statement;
	private readonly appendTx: (events: NewEvent[]) => EventRow[];
	private optimized = false;
	/**
	 * A read-only connection held open beside the writing one and closed
	 * after it. SQLite's last connection to close checkpoints the WAL into
	 * the database file (two fsyncs, blocking the event loop) and deletes it,
	 * so every run paid that at its end and then again a directory fsync to
	 * create the WAL anew. With this connection open, the writer is not the
	 * last; closed last, it cannot checkpoint (read-only), so the WAL stays:
	 * its committed frames are as safe there as in the database file, the
	 * next opener reads them, and SQLite's automatic checkpoint (every 1000
	 * pages, about 4 MB) moves them into the database file now and then.
	 */
	private readonly keeper: Database.Database;
	private headStatement?: Database.Statement;

	constructor(readonly location: string) {
		makeDirs(dirname(location), 0o700);
		// Script texts and identities are private: create the file 0600 (its
		// -wal and -shm files inherit that from it).
		if (!existsSync(location)) closeSync(openSync(location, 'a', 0o600));
		this.db = new Database(location, { timeout: BUSY_TIMEOUT_MS });
		// WAL and the page size are properties of the file: set once, by whoever creates it.
		if (this.db.pragma('journal_mode', { simple: true }) !== 'wal') {
			// (a no-op on a log made before: its pages stay as they are)
			this.db.pragma(`page_size = ${PAGE_SIZE}`);
			this.db.pragma('journal_mode = WAL');
		}
		// NORMAL: committed rows survive a process kill; durable appends flush (see above).
		this.db.pragma('synchronous = NORMAL');
		if (this.schemaVersion() !== LATEST_SCHEMA_VERSION) this.migrateNow();
		this.keeper = new Database(location, { readonly: true, timeout: BUSY_TIMEOUT_MS });
		this.keeper.prepare(HEAD_SQL).get(); // a read takes the shared lock that it holds until closed
		this.insert = this.db.prepare(
			`INSERT INTO audit_log (${EVENT_COLUMNS}) VALUES (@seq, @atMs, @kind, @runId, @host, @sessionId, @who, @scriptHash, @body, @prevHash, @hash)`,
		);
		const setHead = this.db.prepare('UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1');
		const openRun = this.db.prepare('INSERT INTO audit_open_run (run_id, at_ms) VALUES (?, ?)');
		const closeRun = this.db.prepare('DELETE FROM audit_open_run WHERE run_id = ?');
		const tx = this.db.transaction((events: NewEvent[]) => {
			const rows = chainEvents(this.readHead(), events);
			for (const row of rows) {
				this.insert.run(row);
				// The open-run hint moves with the rows (migration 5).
				if (row.kind === 'dispatch') openRun.run(row.runId, row.atMs);
				else if (isClosing(row.kind)) closeRun.run(row.runId);
			}
			const last = rows[rows.length - 1];
			if (last) setHead.run(last.seq, last.hash);
			return rows;
		});
		this.appendTx = (events) => tx.immediate(events);
	}

	/** The schema's version, read without taking the write lock (0: no schema yet). */
	private schemaVersion(): number {
		try {
			const row = this.db.prepare('SELECT MAX(version) AS v FROM audit_schema_version').get() as { v: number | null };
			return row.v ?? 0;
		} catch {
			return 0;
		}
	}

	/**
	 * Table statistics let the planner pick the right index for each filter
	 * of a query (find: `tapfleet audit --host/--user/...`). SQLite keeps them
	 * in the file (sqlite_stat1), so a run's own reads, whose plans do not
	 * depend on them, skip this: it cost a run up to 1.5 ms, on every run's
	 * new connection.
	 */
	private optimizeOnce(): void {
		if (this.optimized) return;
		this.optimized = true;
		// SQLite's advice for long-lived connections; bounded work per index.
		this.db.pragma('analysis_limit = 1000');
		this.db.pragma('optimize = 0x10002');
	}

	private migrateNow(): void {
		this.db.exec(CREATE_VERSION_TABLE);
		this.db
			.transaction(() => {
				const row = this.db.prepare('SELECT MAX(version) AS v FROM audit_schema_version').get() as { v: number | null };
				const current = row.v ?? 0;
				checkSchemaVersion(current, this.location);
				for (const m of MIGRATIONS) {
					if (m.version <= current) continue;
					for (const s of m.statements) this.db.exec(migrationSql(s, 'sqlite'));
					this.db.prepare('INSERT INTO audit_schema_version (version, applied_at_ms) VALUES (?, ?)').run(m.version, Date.now());
				}
			})
			.immediate();
	}

	async migrate(): Promise<void> {
		// Done in the constructor: statements below need the tables.
	}

	private readHead(): ChainHead {
		this.headStatement ??= this.db.prepare(HEAD_SQL);
		const r = this.headStatement.get() as { last_seq: number; last_hash: string };
		return { seq: Number(r.last_seq), hash: r.last_hash };
	}

	private rows(sql: Sql): EventRow[] {
		return (this.db.prepare(sql.text).all(...sql.params) as Record<string, unknown>[]).map(toEventRow);
	}

	async append(events: NewEvent[], durable: boolean): Promise<EventRow[]> {
		if (!events.length) return [];
		if (!durable) return this.appendTx(events);
		this.db.pragma('synchronous = FULL');
		try {
			return this.appendTx(events);
		} finally {
			this.db.pragma('synchronous = NORMAL');
		}
	}

	async find(filter: EventFilter, limit: number): Promise<EventRow[]> {
		this.optimizeOnce();
		return this.rows(findSql(filter, limit));
	}

	async eventsOfRuns(runIds: readonly string[], onHosts?: readonly string[]): Promise<EventRow[]> {
		return runIds.length ? this.rows(eventsOfRunsSql(runIds, onHosts)) : [];
	}

	async sessionEvents(host: string, sessionId: string): Promise<EventRow[]> {
		return this.rows(sessionEventsSql(host, sessionId));
	}

	async runIdsWithPrefix(prefix: string, limit: number): Promise<string[]> {
		const sql = runIdsWithPrefixSql(prefix, limit);
		return (this.db.prepare(sql.text).all(...sql.params) as { run_id: string }[]).map((r) => r.run_id);
	}

	async openDispatches(sinceMs: number): Promise<EventRow[]> {
		return this.rows(openDispatchesSql(sinceMs));
	}

	async scan(afterSeq: number, uptoSeq: number, limit: number): Promise<EventRow[]> {
		return this.rows(scanSql(afterSeq, uptoSeq, limit));
	}

	async head(): Promise<ChainHead> {
		return this.readHead();
	}

	async lastJournalImports(hosts: readonly string[]): Promise<Map<string, number>> {
		if (!hosts.length) return new Map();
		const sql = lastJournalImportsSql(hosts);
		const rows = this.db.prepare(sql.text).all(...sql.params) as { host: string; imported_at_ms: number }[];
		return new Map(rows.map((r) => [r.host, Number(r.imported_at_ms)]));
	}

	async runChecks(hosts: readonly string[], sinceMs: number, interruptedLimit: number): Promise<RunChecks> {
		return {
			open: await this.openDispatches(sinceMs),
			lastImports: await this.lastJournalImports(hosts),
			interrupted: this.rows(findSql({ kinds: ['run-interrupted'], sinceMs }, interruptedLimit)), // the kind index: no statistics needed
		};
	}

	async noteJournalImports(hosts: readonly string[], atMs: number): Promise<void> {
		if (!hosts.length) return;
		const sql = noteJournalImportsSql(hosts, atMs);
		this.db.prepare(sql.text).run(...sql.params);
	}

	/**
	 * Closes without a checkpoint: the read-only connection, closed last,
	 * cannot checkpoint, so the WAL stays for the next opener (see keeper).
	 */
	async close(): Promise<void> {
		this.db.close();
		this.keeper.close();
	}
}
