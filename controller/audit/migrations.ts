// The audit schema, one list of versioned migrations for both backends.
// `{C}` marks text columns compared by byte order (hash and id prefixes):
// PostgreSQL needs COLLATE "C" for that; SQLite compares bytes already.
// Never edit a released migration: append a new version.

/** The unique index that refuses a second dispatch with the same run id. */
export const DISPATCH_RUN_ID_INDEX = 'audit_log_dispatch_run_id';

export interface Migration {
	version: number;
	statements: string[];
}

export const MIGRATIONS: Migration[] = [
	{
		version: 1,
		statements: [
			`CREATE TABLE audit_log (
				seq BIGINT NOT NULL PRIMARY KEY,
				at_ms BIGINT NOT NULL,
				kind TEXT NOT NULL,
				run_id TEXT{C},
				host TEXT,
				session_id TEXT,
				who TEXT{C},
				script_hash TEXT{C},
				body TEXT NOT NULL,
				prev_hash TEXT NOT NULL,
				hash TEXT NOT NULL
			)`,
			// One row: the end of the chain. Appenders lock it, which serializes
			// them across processes, and `verify` compares it with the last row,
			// which detects rows deleted from the end.
			`CREATE TABLE audit_chain_head (
				id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
				last_seq BIGINT NOT NULL,
				last_hash TEXT NOT NULL
			)`,
			`INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, '${'0'.repeat(64)}')`,
			// Each query filter leads an index with the time after it, so a
			// host (user, script) and time-range query reads only its rows.
			'CREATE INDEX audit_log_host_at ON audit_log (host, at_ms)',
			'CREATE INDEX audit_log_who_at ON audit_log (who, at_ms)',
			'CREATE INDEX audit_log_script_at ON audit_log (script_hash, at_ms)',
			'CREATE INDEX audit_log_at ON audit_log (at_ms)',
			'CREATE INDEX audit_log_run ON audit_log (run_id, seq)',
			'CREATE INDEX audit_log_kind_at ON audit_log (kind, at_ms)',
			'CREATE INDEX audit_log_session ON audit_log (host, session_id)',
		],
	},
	{
		version: 2,
		statements: [
			// A run id names one dispatch. Checked by the insert itself rather than by a
			// query before it: that query was a round trip on the run's critical path.
			`CREATE UNIQUE INDEX ${DISPATCH_RUN_ID_INDEX} ON audit_log (run_id) WHERE kind = 'dispatch'`,
		],
	},
	{
		version: 3,
		statements: [
			// Every run looks for open runs of dead controllers (sql.ts openDispatchesSql):
			// a run's closing rows alone, so that check is one small probe per recent
			// dispatch, not a walk over all the run's rows (20 ms -> 1 ms per run on a
			// 300,000-row SQLite log).
			`CREATE INDEX audit_log_run_closed ON audit_log (run_id) WHERE kind IN ('dispatch-finished', 'run-interrupted')`,
		],
	},
	{
		version: 4,
		statements: [
			// When each host's agent journal was last imported: a hint that spares a run
			// the import when another did it a moment ago. Not audit data (not chained):
			// losing or editing it only makes a run import sooner or later.
			`CREATE TABLE audit_journal_import (
				host TEXT NOT NULL PRIMARY KEY,
				imported_at_ms BIGINT NOT NULL
			)`,
		],
	},
	{
		version: 5,
		statements: [
			// The runs not yet finished or marked interrupted, kept by every append in
			// the transaction of its rows (sqlite-backend.ts, postgres-backend.ts): every
			// run looks for open runs of dead controllers, and probing each dispatch of
			// the last week for a closing row grew with the runs per week. A hint, not
			// audit data (not chained): `verify` does not read it.
			`CREATE TABLE audit_open_run (
				run_id TEXT{C} NOT NULL PRIMARY KEY,
				at_ms BIGINT NOT NULL
			)`,
			`INSERT INTO audit_open_run (run_id, at_ms)
				SELECT d.run_id, d.at_ms FROM audit_log d WHERE d.kind = 'dispatch'
				AND NOT EXISTS (SELECT 1 FROM audit_log f WHERE f.run_id = d.run_id
					AND f.kind IN ('dispatch-finished', 'run-interrupted'))`,
		],
	},
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const CREATE_VERSION_TABLE =
	'CREATE TABLE IF NOT EXISTS audit_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at_ms BIGINT NOT NULL)';

export function migrationSql(statement: string, dialect: 'sqlite' | 'postgres'): string {
	return statement.replaceAll('{C}', dialect === 'postgres' ? ' COLLATE "C"' : '');
}

/** Refuses a database written by a newer tapfleet: its rows could mean something we do not know. */
export function checkSchemaVersion(found: number, location: string): void {
	if (found > LATEST_SCHEMA_VERSION) {
		throw new Error(
			`audit database ${location} has schema version ${found}, newer than this tapfleet knows (${LATEST_SCHEMA_VERSION}); upgrade tapfleet`,
		);
	}
}
