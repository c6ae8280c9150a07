// The audit tests run every case on both backends: a fresh SQLite file, and
// a fresh schema in the PostgreSQL that scripts/services/postgres.sh starts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openAuditLog, type AuditLog } from '../../../controller/audit/index.js';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type BackendKind = (typeof BACKENDS)[number];

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** The test PostgreSQL's URL: $TAPFLEET_TEST_PG_URL, or what postgres.sh wrote. */
export function postgresUrl(): string {
	if (process.env.TAPFLEET_TEST_PG_URL) return process.env.TAPFLEET_TEST_PG_URL;
	try {
		return readFileSync(join(repo, '.bootstrap/postgres.url'), 'utf8').trim();
	} catch {
		throw new Error('no test PostgreSQL: run `bash scripts/services/postgres.sh start` (scripts/test.sh does)');
	}
}

/**
 * The test PostgreSQL's URL once a connection to it succeeds; otherwise an
 * error saying in one line how to start it (for benchmarks, which print it).
 */
export async function reachablePostgresUrl(): Promise<string> {
	const url = postgresUrl();
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
	client.on('error', () => {});
	try {
		await client.connect();
	} catch (err) {
		const where = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
		throw new Error(`PostgreSQL at ${where} is not reachable (${(err as Error).message}): run \`bash scripts/services/postgres.sh start\``);
	} finally {
		await client.end().catch(() => {});
	}
	return url;
}

export interface TestDb {
	kind: BackendKind;
	/** What to pass as --audit-db. */
	spec: string;
	/** Runs raw SQL on the database, behind the audit's back (to tamper with it). */
	raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
	dispose(): Promise<void>;
}

let counter = 0;

export async function makeTestDb(kind: BackendKind): Promise<TestDb> {
	if (kind === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-'));
		const path = join(dir, 'audit.db');
		const { default: Database } = await import('better-sqlite3');
		return {
			kind,
			spec: path,
			async raw(sql, params = []) {
				const db = new Database(path);
				try {
					const stmt = db.prepare(sql);
					return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
				} finally {
					db.close();
				}
			},
			async dispose() {
				rmSync(dir, { recursive: true, force: true });
			},
		};
	}
	const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
	const url = postgresUrl();
	const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
		const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
		await client.connect();
		try {
			return await fn(client);
		} finally {
			await client.end();
		}
	};
	const sep = url.includes('?') ? '&' : '?';
	return {
		kind,
		spec: `${url}${sep}schema=${schema}`,
		raw: (sql, params = []) => withClient(async (c) => (await c.query(sql, params)).rows),
		dispose: () => withClient(async (c) => void (await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))),
	};
}

/** A fresh audit log on `kind`, closed and dropped after `fn`. */
export async function withAuditLog<T>(kind: BackendKind, fn: (log: AuditLog, db: TestDb) => Promise<T>): Promise<T> {
	const db = await makeTestDb(kind);
	const log = await openAuditLog(db.spec);
	try {
		return await fn(log, db);
	} finally {
		await log.close();
		await db.dispose();
	}
}
