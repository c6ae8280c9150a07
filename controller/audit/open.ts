// Opening the audit log: pick the backend from --audit-db (or the default),
// migrate it, and give back one object for writing, querying and verifying.
import { AuditWriter } from './audit-log.js';
import type { AuditBackend } from './backend.js';
import { parseAuditDb, redact } from './location.js';
import { listEntries, showRun } from './query.js';
import type { AuditListing, AuditQuery, RunView, VerifyResult } from './types.js';
import { verifyChain } from './verify.js';

export class AuditLog extends AuditWriter {
	get location(): string {
		return this.backend.location;
	}

	get backendKind(): 'sqlite' | 'postgres' {
		return this.backend.kind;
	}

	list(query: AuditQuery = {}): Promise<AuditListing> {
		return listEntries(this.backend, query);
	}

	show(runIdOrPrefix: string): Promise<RunView> {
		return showRun(this.backend, runIdOrPrefix);
	}

	verify(): Promise<VerifyResult> {
		return verifyChain(this.backend);
	}

	/** Waits for every record made so far to be committed, then closes. */
	async close(): Promise<void> {
		await this.appender.flush();
		await this.backend.close();
	}
}

export class AuditOpenError extends Error {}

export interface OpenOptions {
	/** Mark runs of dead controllers on this machine as interrupted (default true). */
	recover?: boolean;
	/**
	 * How long records other than write-ahead ones may wait to share one
	 * commit (default 0: committed at once). flush() and close() write them.
	 */
	batchMs?: number;
	/** PostgreSQL: connections at most (default 4; a run's log needs one: each costs a connect and its authentication). */
	connections?: number;
}

/** Opens (creating and migrating if needed) the audit log named by `spec`. */
export async function openAuditLog(spec?: string, options: OpenOptions = {}): Promise<AuditLog> {
	const target = parseAuditDb(spec);
	let backend: AuditBackend;
	try {
		// Only the backend in use is loaded: pg alone costs ~30 ms of start-up (it loads Node's fetch to sniff its runtime).
		backend = target.kind === 'sqlite' ? new (await import('./sqlite-backend.js')).SqliteBackend(target.path) : new (await import('./postgres-backend.js')).PostgresBackend(target, { connections: options.connections });
	} catch (err) {
		throw new AuditOpenError(`cannot open audit database ${target.kind === 'sqlite' ? target.path : target.location}: ${(err as Error).message}`);
	}
	try {
		await backend.migrate();
		const log = new AuditLog(backend, options.batchMs);
		if (options.recover ?? true) await log.recoverInterruptedRuns();
		return log;
	} catch (err) {
		await backend.close().catch(() => {});
		if (err instanceof Error && err.message.includes('newer than this tapfleet')) throw new AuditOpenError(err.message);
		throw new AuditOpenError(`cannot open audit database ${backend.location}: ${redact((err as Error).message)}`);
	}
}
