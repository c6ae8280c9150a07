// Audit logs held open by a long-lived process for its runs (the warm
// runner, cli/warm/runner.ts): a PostgreSQL log's connection is made once
// and each run records over it, as the audit keeper does for one-shot
// commands, without the keeper's socket between the run and the log. A
// SQLite log is still opened per run (a file opens in a millisecond or two).
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
}

const held = new Map<string, Held>();

/** A run's log over this process's held connection to it (made on the first run). */
export async function heldRunLog(target: AuditDbTarget & { kind: 'postgres' }, batchMs: number): Promise<RunLog> {
	const key = `${target.url}#${target.schema ?? ''}`;
	let h = held.get(key);
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
	}
	try {
		const backend = await h.backend;
		if (Date.now() - h.checkedAt > SCHEMA_RECHECK_MS) {
			await backend.migrate();
			h.checkedAt = Date.now();
		}
		return new HeldRunLog(backend, batchMs);
	} catch (err) {
		// not held: the next run connects again (and this one says why it cannot)
		held.delete(key);
		void h.backend.then((b) => b.close(), () => {}).catch(() => {});
		const message = (err as Error).message;
		throw new AuditOpenError(message.includes('newer than this tapfleet') ? message : `cannot open audit database ${target.location}: ${message}`);
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
