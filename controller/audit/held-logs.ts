// Audit logs held open by a long-lived process for its runs (the warm
// runner, cli/warm/runner.ts): the log is opened once and each run records
// over it. For PostgreSQL that is the connection (made and logged in once,
// as the audit keeper does for one-shot commands, without the keeper's
// socket between the run and the log); for SQLite the file's connections
// (no open, WAL read-back and schema check per run), reopened whenever the
// path names another file than the one held (deleted, replaced, moved),
// so that no run writes into a file nobody will read.
import { statSync } from 'node:fs';
import { AuditWriter } from './audit-log.js';
import type { AuditBackend } from './backend.js';
import type { AuditDbTarget } from './location.js';
import { AuditOpenError, createBackend } from './open.js';
import type { RunLog } from './run-log-api.js';

/**
 * A held log's schema is checked again before a run when the last check is
 * older than this: a newer tapfleet may have migrated it meanwhile, which
 * this one must not write (as the keeper re-checks, keeper/main.ts).
 */
const SCHEMA_RECHECK_MS = 10_000;
/** Connections a held PostgreSQL log keeps (one run at a time; a spare for a slow commit). */
const HELD_CONNECTIONS = 2;

interface Held {
	backend: Promise<AuditBackend>;
	checkedAt: number;
	/** SQLite: the file held (device and inode), to notice a path that now names another. */
	file?: string;
}

const held = new Map<string, Held>();

function fileOf(path: string): string | undefined {
	const st = statSync(path, { throwIfNoEntry: false });
	return st ? `${st.dev}:${st.ino}` : undefined;
}

function keyOf(target: AuditDbTarget): string {
	return target.kind === 'sqlite' ? `sqlite:${target.path}` : `postgres:${target.url}#${target.schema ?? ''}`;
}

function drop(key: string, h: Held): void {
	held.delete(key);
	void h.backend.then((b) => b.close(), () => {}).catch(() => {});
}

/** A run's log over this process's held connection to it (made on the first run). */
export async function heldRunLog(target: AuditDbTarget, batchMs: number): Promise<RunLog> {
	const key = keyOf(target);
	let h = held.get(key);
	if (h && target.kind === 'sqlite' && fileOf(target.path) !== h.file) {
		drop(key, h);
		h = undefined;
	}
	if (!h) {
		const backend = createBackend(target, { connections: HELD_CONNECTIONS, keepIdle: true }).then(async (b) => {
			await b.migrate().catch(async (err) => {
				await b.close().catch(() => {});
				throw err;
			});
			return b;
		});
		h = { backend, checkedAt: Date.now() };
		held.set(key, h);
		// (the backend creates a missing SQLite file: its identity once it is there)
		if (target.kind === 'sqlite') void backend.then(() => (h!.file = fileOf(target.path)), () => {});
	}
	try {
		const backend = await h.backend;
		if (Date.now() - h.checkedAt > SCHEMA_RECHECK_MS) {
			await backend.migrate();
			h.checkedAt = Date.now();
		}
		return new HeldRunLog(backend, batchMs);
	} catch (err) {
		// not held: the next run opens it again (and this one says why it cannot)
		drop(key, h);
		const message = (err as Error).message;
		const where = target.kind === 'sqlite' ? target.path : target.location;
		throw new AuditOpenError(message.includes('newer than this tapfleet') ? message : `cannot open audit database ${where}: ${message}`);
	}
}

/** One run's records over a held backend: closing it commits them and leaves the connection to the next run. */
class HeldRunLog extends AuditWriter implements RunLog {
	readonly throughKeeper = false;

	get location(): string {
		return this.backend.location;
	}

	close(): Promise<void> {
		return this.appender.flush();
	}
}
