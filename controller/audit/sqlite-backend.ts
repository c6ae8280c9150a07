// The embedded audit store: one SQLite file (WAL mode), used by every run
// unless --audit-db names PostgreSQL. Several processes may append at once:
// BEGIN IMMEDIATE takes SQLite's write lock, which serializes appenders.
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../util/make-dirs.js';
import type { AuditBackend, EventFilter } from './backend.js';
import { chainEvents, type ChainHead, type EventRow, type NewEvent } from './event.js';
import { checkSchemaVersion, CREATE_VERSION_TABLE, migrationSql, MIGRATIONS } from './migrations.js';
import {
	EVENT_COLUMNS,
	eventsOfRunsSql,
	findSql,
	HEAD_SQL,
	openDispatchesSql,
	runIdsWithPrefixSql,
	scanSql,
	sessionEventsSql,
	toEventRow,
	type Sql,
} from './sql.js';

/**
 * How long an appender waits for another process's write lock before failing.
 * SQLite's busy handler polls with back-off, so a busy writer can make another
 * wait for a while: be generous (PostgreSQL is the backend for shared logs).
 */
const BUSY_TIMEOUT_MS = 30_000;

export class SqliteBackend implements AuditBackend {
	readonly kind = 'sqlite';
	private readonly db: Database.Database;
	private readonly insert: Database.Statement;
	private readonly appendTx: (events: NewEvent[]) => EventRow[];

	constructor(readonly location: string) {
		makeDirs(dirname(location), 0o700);
		// Script texts and identities are private: create the file 0600 (its
		// -wal and -shm files inherit that from it).
		if (!existsSync(location)) closeSync(openSync(location, 'a', 0o600));
		this.db = new Database(location, { timeout: BUSY_TIMEOUT_MS });
		this.db.pragma('journal_mode = WAL');
		// FULL: a write-ahead record must survive a power loss, not only a crash.
		this.db.pragma('synchronous = FULL');
		this.migrateNow();
		// Table statistics let the planner pick the right index for each filter
		// (SQLite's advice for long-lived connections; bounded work per index).
		this.db.pragma('analysis_limit = 1000');
		this.db.pragma('optimize = 0x10002');
		this.insert = this.db.prepare(
			`INSERT INTO audit_log (${EVENT_COLUMNS}) VALUES (@seq, @atMs, @kind, @runId, @host, @sessionId, @who, @scriptHash, @body, @prevHash, @hash)`,
		);
		const setHead = this.db.prepare('UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1');
		const tx = this.db.transaction((events: NewEvent[]) => {
			const rows = chainEvents(this.readHead(), events);
			for (const row of rows) this.insert.run(row);
			const last = rows[rows.length - 1];
			if (last) setHead.run(last.seq, last.hash);
			return rows;
		});
		this.appendTx = (events) => tx.immediate(events);
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
		const r = this.db.prepare(HEAD_SQL).get() as { last_seq: number; last_hash: string };
		return { seq: Number(r.last_seq), hash: r.last_hash };
	}

	private rows(sql: Sql): EventRow[] {
		return (this.db.prepare(sql.text).all(...sql.params) as Record<string, unknown>[]).map(toEventRow);
	}

	async append(events: NewEvent[]): Promise<EventRow[]> {
		return events.length ? this.appendTx(events) : [];
	}

	async find(filter: EventFilter, limit: number): Promise<EventRow[]> {
		return this.rows(findSql(filter, limit));
	}

	async eventsOfRuns(runIds: readonly string[]): Promise<EventRow[]> {
		return runIds.length ? this.rows(eventsOfRunsSql(runIds)) : [];
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

	async close(): Promise<void> {
		this.db.close();
	}
}
