// Where the audit log lives: --audit-db, else $TAPFLEET_AUDIT_DB, else the
// embedded SQLite file under the user's state directory (XDG).
import { join, resolve } from 'node:path';
import type { PostgresTarget } from './postgres-backend.js';
import { tapfleetStateDir } from '../util/state-dir.js';

export { tapfleetStateDir };

export type AuditDbTarget = { kind: 'sqlite'; path: string } | ({ kind: 'postgres' } & PostgresTarget);

export class AuditDbUrlError extends Error {}


export function defaultAuditDbPath(env: NodeJS.ProcessEnv = process.env): string {
	return join(tapfleetStateDir(env), 'audit.db');
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Accepts `postgres://` / `postgresql://` URLs (with an optional `schema=NAME`
 * parameter of our own), `sqlite:PATH`, or a plain file path.
 */
export function parseAuditDb(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): AuditDbTarget {
	const given = spec ?? env.TAPFLEET_AUDIT_DB;
	if (given === undefined || given === '') return { kind: 'sqlite', path: defaultAuditDbPath(env) };
	if (/^postgres(ql)?:\/\//.test(given)) return parsePostgres(given);
	if (given.startsWith('sqlite:')) {
		const path = given.slice('sqlite:'.length);
		if (!path) throw new AuditDbUrlError('audit database "sqlite:" names no file; use sqlite:/path/to/audit.db');
		return { kind: 'sqlite', path: resolve(path) };
	}
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
		throw new AuditDbUrlError(`unsupported audit database "${redact(given)}": use postgres://..., sqlite:PATH or a file path`);
	}
	return { kind: 'sqlite', path: resolve(given) };
}

function parsePostgres(given: string): AuditDbTarget {
	let url: URL;
	try {
		url = new URL(given);
	} catch {
		throw new AuditDbUrlError(`audit database URL is not a valid URL: ${redact(given)}`);
	}
	const schema = url.searchParams.get('schema') ?? undefined;
	if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
		throw new AuditDbUrlError(`audit database schema "${schema}" must be lower-case letters, digits and _`);
	}
	url.searchParams.delete('schema');
	return { kind: 'postgres', url: url.toString(), schema, location: redact(given) };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
	return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
