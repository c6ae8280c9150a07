// The shared audit store: several controllers append to one PostgreSQL log.
// Appends move the single chain-head row by compare-and-swap (or, after lost
// races, lock it for a transaction), so their rows form one chain whatever
// the interleaving (see append()).
import type { Pool, QueryResult } from 'pg';
import type { AuditBackend, EventFilter, RunChecks } from './backend.js';
import { chainEvents, type ChainHead, type EventRow, type NewEvent } from './event.js';
import { pg } from './pg-load.js';
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

/** Any constant: the session-level advisory lock that serializes migrations. */
const MIGRATION_LOCK_KEY = 0x7461_7066; // "tapf"
const POOL_SIZE = 4;
const CONNECT_TIMEOUT_MS = 10_000;

/** Compare-and-swap appends that lose this many races in a row lock the head instead. */
const SWAP_ATTEMPTS = 3;
/** SQLSTATE undefined_table: no schema yet. */
const UNDEFINED_TABLE = '42P01';

/**
 * Records other than write-ahead ones do not wait for PostgreSQL's WAL flush:
 * committed (visible, kept if the controller dies) at once, on disk within
 * the server's wal_writer_delay; the next durable commit flushes them too.
 */
const ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit = off;";

/** The rows as $1..$11, one array per column, inserted in one statement. */
const UNNEST_COLUMNS = `SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::text[], $8::text[], $9::text[], $10::text[], $11::text[])`;

function columnArrays(rows: EventRow[]): unknown[][] {
	const col = <T>(f: (r: EventRow) => T) => rows.map(f);
	return [
		col((r) => r.seq),
		col((r) => r.atMs),
		col((r) => r.kind),
		col((r) => r.runId),
		col((r) => r.host),
		col((r) => r.sessionId),
		col((r) => r.who),
		col((r) => r.scriptHash),
		col((r) => r.body),
		col((r) => r.prevHash),
		col((r) => r.hash),
	];
}

/**
 * The open-run hint (audit_open_run, migration 5) moved in the statement that
 * appends the rows ($2: at_ms, $3: kind, $4: run_id), when `condition` holds.
 * Both parts see the table as it was before the statement, so a dispatch
 * closed in the same batch is not entered at all.
 */
function openRunCtes(condition: string): string {
	const closing = `SELECT c.r FROM unnest($4::text[], $3::text[]) AS c(r, k) WHERE c.k IN (${CLOSING_KINDS.map((k) => `'${k}'`).join(', ')}) AND c.r IS NOT NULL`;
	return `opened AS (
			INSERT INTO audit_open_run (run_id, at_ms)
			SELECT n.r, n.a FROM unnest($4::text[], $2::bigint[], $3::text[]) AS n(r, a, k)
			WHERE n.k = 'dispatch' AND ${condition} AND n.r NOT IN (${closing})
			ON CONFLICT DO NOTHING -- a run id given twice: audit_log's unique index refuses it, by name
		),
		closed AS (
			DELETE FROM audit_open_run WHERE ${condition} AND run_id IN (${closing})
		)`;
}

/**
 * The compare-and-swap append ($12/$13: the new head; $14/$15: the head the
 * rows were chained to). The insert reads the update's result, so it runs
 * only when the head moved; `moved` says whether it did.
 */
function appendSql(durable: boolean): string {
	return `WITH ${durable ? '' : "async AS (SELECT set_config('synchronous_commit', 'off', true) AS v),"}
		moved AS (
			UPDATE audit_chain_head SET last_seq = $12, last_hash = $13
			WHERE id = 1 AND last_seq = $14 AND last_hash = $15
			RETURNING 1
		),
		added AS (
			INSERT INTO audit_log (${EVENT_COLUMNS}) ${UNNEST_COLUMNS} WHERE EXISTS (SELECT 1 FROM moved)
		),
		${openRunCtes('EXISTS (SELECT 1 FROM moved)')}
		SELECT (SELECT count(*) FROM moved) AS moved${durable ? '' : ', (SELECT v FROM async) AS async'}`;
}

/** `?` placeholders to PostgreSQL's `$1, $2, ...`. */
function numbered(sql: Sql): Sql {
	let n = 0;
	return { text: sql.text.replace(/\?/g, () => `$${++n}`), params: sql.params };
}

export interface PostgresTarget {
	/** The connection URL without tapfleet's own parameters. */
	url: string;
	/** A schema to keep the tables in (created if missing); default: the search path. */
	schema?: string;
	/** For messages: the URL without its password. */
	location: string;
}

export class PostgresBackend implements AuditBackend {
	readonly kind = 'postgres';
	readonly location: string;
	private readonly pool: Pool;
	private readonly schema?: string;
	/** The chain head as this process last wrote or read it (appends assume it, and re-read it when wrong). */
	private knownHead?: ChainHead;

	private readonly swapAttempts: number;

	/**
	 * @param o.swapAttempts compare-and-swap appends before the locked one (0: always locked; tests use it)
	 * @param o.connections the pool's size
	 */
	constructor(target: PostgresTarget, o: { swapAttempts?: number; connections?: number; keepIdle?: boolean } = {}) {
		this.swapAttempts = o.swapAttempts ?? SWAP_ATTEMPTS;
		this.location = target.location;
		this.schema = target.schema;
		this.pool = new pg.Pool({
			connectionString: target.url,
			max: o.connections ?? POOL_SIZE,
			connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
			// Every pooled connection looks in the chosen schema first.
			options: target.schema ? `-c search_path=${target.schema}` : undefined,
			// An idle connection does not keep the process alive: close() need not
			// wait for the server to hang up (see close()).
			allowExitOnIdle: true,
			// A process that holds the log for its runs (the keeper, a warm runner) keeps its connections
			// between them; pg's default closes one idle for 10 s, and the next run would connect again.
			...(o.keepIdle ? { idleTimeoutMillis: 0 } : {}),
		});
		// An idle client losing its connection must not crash the controller.
		this.pool.on('error', () => {});
	}

	async migrate(): Promise<void> {
		// Usually the schema is current: one round trip says so, and brings the
		// chain head that the first append needs.
		if (await this.schemaIsCurrent()) return;
		await this.migrateLocked();
	}

	private async schemaIsCurrent(): Promise<boolean> {
		try {
			const r = await this.pool.query(`SELECT (SELECT MAX(version) FROM audit_schema_version) AS v, last_seq, last_hash FROM audit_chain_head WHERE id = 1`);
			const row = r.rows[0] as { v: number | null; last_seq: string; last_hash: string } | undefined;
			if (!row || Number(row.v) !== LATEST_SCHEMA_VERSION) return false;
			this.knownHead = { seq: Number(row.last_seq), hash: row.last_hash };
			return true;
		} catch (err) {
			if ((err as { code?: string }).code === UNDEFINED_TABLE) return false;
			throw err;
		}
	}

	private async migrateLocked(): Promise<void> {
		const client = await this.pool.connect();
		try {
			if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
			await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
			try {
				await client.query(CREATE_VERSION_TABLE);
				const r = await client.query('SELECT MAX(version) AS v FROM audit_schema_version');
				const current = Number(r.rows[0]?.v ?? 0);
				checkSchemaVersion(current, this.location);
				for (const m of MIGRATIONS) {
					if (m.version <= current) continue;
					await client.query('BEGIN');
					try {
						for (const s of m.statements) await client.query(migrationSql(s, 'postgres'));
						await client.query('INSERT INTO audit_schema_version (version, applied_at_ms) VALUES ($1, $2)', [m.version, Date.now()]);
						await client.query('COMMIT');
					} catch (err) {
						await client.query('ROLLBACK');
						throw err;
					}
				}
			} finally {
				await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
			}
		} finally {
			client.release();
		}
	}

	private async rows(sql: Sql): Promise<EventRow[]> {
		const n = numbered(sql);
		const r = await this.pool.query(n.text, n.params);
		return r.rows.map(toEventRow);
	}

	/**
	 * One statement, one round trip, committed on its own: it moves the chain
	 * head from the head this process last saw, and inserts the rows only if
	 * the head was still that (a compare-and-swap on the head row, which
	 * PostgreSQL re-checks after waiting for any other appender's lock). When
	 * another controller appended in between, nothing is written: read the
	 * head and try again, and after a few lost races take the head's row lock
	 * for the whole transaction (appendLocked), which always succeeds.
	 */
	async append(events: NewEvent[], durable: boolean): Promise<EventRow[]> {
		if (!events.length) return [];
		for (let attempt = 0; attempt < this.swapAttempts; attempt++) {
			this.knownHead ??= await this.head();
			const rows = chainEvents(this.knownHead, events);
			const r = await this.pool.query({
				name: durable ? 'audit_append' : 'audit_append_async',
				text: appendSql(durable),
				values: [...columnArrays(rows), rows[rows.length - 1]!.seq, rows[rows.length - 1]!.hash, this.knownHead.seq, this.knownHead.hash],
			});
			if (Number(r.rows[0]?.moved) === 1) {
				this.knownHead = { seq: rows[rows.length - 1]!.seq, hash: rows[rows.length - 1]!.hash };
				return rows;
			}
			this.knownHead = undefined; // someone else appended: read the head again
		}
		return this.appendLocked(events, durable);
	}

	/** The head row locked for the whole transaction: slower (three round trips), never loses a race. */
	private async appendLocked(events: NewEvent[], durable: boolean): Promise<EventRow[]> {
		const client = await this.pool.connect();
		try {
			// One round trip to open the transaction and lock the head.
			const opened = (await client.query(`BEGIN; ${durable ? '' : ASYNC_COMMIT_SQL} ${HEAD_SQL} FOR UPDATE`)) as unknown as QueryResult[];
			const h = opened[opened.length - 1]!.rows[0] as { last_seq: string; last_hash: string };
			const rows = chainEvents({ seq: Number(h.last_seq), hash: h.last_hash }, events);
			const last = rows[rows.length - 1]!;
			await client.query(
				`WITH added AS (
					INSERT INTO audit_log (${EVENT_COLUMNS}) ${UNNEST_COLUMNS}
				),
				${openRunCtes('true')}
				UPDATE audit_chain_head SET last_seq = $12, last_hash = $13 WHERE id = 1`,
				[...columnArrays(rows), last.seq, last.hash],
			);
			await client.query('COMMIT');
			this.knownHead = { seq: last.seq, hash: last.hash };
			return rows;
		} catch (err) {
			await client.query('ROLLBACK').catch(() => {});
			throw err;
		} finally {
			client.release();
		}
	}

	find(filter: EventFilter, limit: number): Promise<EventRow[]> {
		return this.rows(findSql(filter, limit));
	}

	async eventsOfRuns(runIds: readonly string[], onHosts?: readonly string[]): Promise<EventRow[]> {
		return runIds.length ? this.rows(eventsOfRunsSql(runIds, onHosts)) : [];
	}

	sessionEvents(host: string, sessionId: string): Promise<EventRow[]> {
		return this.rows(sessionEventsSql(host, sessionId));
	}

	async runIdsWithPrefix(prefix: string, limit: number): Promise<string[]> {
		const n = numbered(runIdsWithPrefixSql(prefix, limit));
		const r = await this.pool.query(n.text, n.params);
		return r.rows.map((row) => row.run_id as string);
	}

	openDispatches(sinceMs: number): Promise<EventRow[]> {
		return this.rows(openDispatchesSql(sinceMs));
	}

	scan(afterSeq: number, uptoSeq: number, limit: number): Promise<EventRow[]> {
		return this.rows(scanSql(afterSeq, uptoSeq, limit));
	}

	async head(): Promise<ChainHead> {
		const r = await this.pool.query(HEAD_SQL);
		const h = r.rows[0] as { last_seq: string; last_hash: string };
		return { seq: Number(h.last_seq), hash: h.last_hash };
	}

	async lastJournalImports(hosts: readonly string[]): Promise<Map<string, number>> {
		if (!hosts.length) return new Map();
		const n = numbered(lastJournalImportsSql(hosts));
		const r = await this.pool.query(n.text, n.params);
		return new Map(r.rows.map((row) => [row.host as string, Number(row.imported_at_ms)]));
	}

	/**
	 * The three reads in one statement, each as a JSON array of its rows: one
	 * round trip instead of three (each a wake-up of the server and a turn of
	 * the event loop, while the run's Loads go out).
	 */
	async runChecks(hosts: readonly string[], sinceMs: number, interruptedLimit: number): Promise<RunChecks> {
		const reads: Sql[] = [openDispatchesSql(sinceMs), findSql({ kinds: ['run-interrupted'], sinceMs }, interruptedLimit)];
		if (hosts.length) reads.push(lastJournalImportsSql(hosts));
		let n = 0;
		const columns = reads.map((q, i) => `(SELECT coalesce(json_agg(q), '[]'::json) FROM (${q.text.replace(/\?/g, () => `$${++n}`)}) q) AS r${i}`);
		const r = await this.pool.query(`SELECT ${columns.join(', ')}`, reads.flatMap((q) => q.params));
		const row = r.rows[0] as Record<string, Record<string, unknown>[]>;
		return {
			// (json_agg keeps the subquery's order here, but the chain order is cheap to restore)
			open: row.r0!.map(toEventRow).sort((a, b) => a.seq - b.seq),
			interrupted: row.r1!.map(toEventRow),
			lastImports: new Map((row.r2 ?? []).map((x) => [x.host as string, Number(x.imported_at_ms)])),
		};
	}

	async noteJournalImports(hosts: readonly string[], atMs: number): Promise<void> {
		if (!hosts.length) return;
		const n = numbered(noteJournalImportsSql(hosts, atMs));
		await this.pool.query(n.text, n.params);
	}

	/**
	 * Every query has had its answer by now (the writer flushed before closing),
	 * so nothing is left to wait for: the Terminate message is written and the
	 * server's hang-up is not awaited (it took 0-9 ms at the end of each run on a
	 * busy machine, the server process having to be scheduled). The idle sockets
	 * are unreferenced (allowExitOnIdle), so the process does not wait for it
	 * either; a write still pending keeps it alive until written.
	 */
	async close(): Promise<void> {
		this.pool.end().catch(() => {});
	}
}
