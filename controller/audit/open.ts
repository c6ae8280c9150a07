// Opening the audit log: pick the backend from --audit-db (or the default),
// migrate it, and give back one object for writing, querying and verifying.
import { AuditWriter } from './audit-log.js';
import { AuditOpenError } from './open-error.js';
import type { AuditBackend } from './backend.js';
import { parseAuditDb, redact, type AuditDbTarget } from './location.js';
import type { RunLog } from './run-log-api.js';
import type { AuditListing, AuditQuery, RunView, VerifyResult } from './types.js';

export class AuditLog extends AuditWriter implements RunLog {
	private afterClose?: () => void;

	get location(): string {
		return this.backend.location;
	}

	get backendKind(): 'sqlite' | 'postgres' {
		return this.backend.kind;
	}

	// Queries and verification are loaded when asked for: a run's log (every `tapfleet run`) never asks.
	async list(query: AuditQuery = {}): Promise<AuditListing> {
		return (await import('./query.js')).listEntries(this.backend, query);
	}

	async show(runIdOrPrefix: string): Promise<RunView> {
		return (await import('./query.js')).showRun(this.backend, runIdOrPrefix);
	}

	async verify(): Promise<VerifyResult> {
		return (await import('./verify.js')).verifyChain(this.backend);
	}

	/** Opened in this process (keeper/run-client.ts is a run's log through the keeper). */
	readonly throughKeeper = false;

	/** Runs `fn` once the log has been closed. */
	whenClosed(fn: () => void): void {
		this.afterClose = fn;
	}

	/** Waits for every record made so far to be committed, then closes. */
	async close(): Promise<void> {
		await this.appender.flush();
		await this.backend.close();
		this.afterClose?.();
	}
}

export { AuditOpenError };

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

/** The backend for a log, not yet migrated. */
export async function createBackend(target: AuditDbTarget, o: { connections?: number; keepIdle?: boolean } = {}): Promise<AuditBackend> {
	// Only the backend in use is loaded: pg alone costs ~30 ms of start-up (it loads Node's fetch to sniff its runtime).
	return target.kind === 'sqlite' ? new (await import('./sqlite-backend.js')).SqliteBackend(target.path) : new (await import('./postgres-backend.js')).PostgresBackend(target, { connections: o.connections, keepIdle: o.keepIdle });
}

/** Opens (creating and migrating if needed) the audit log named by `spec`, in this process. */
export async function openAuditLog(spec?: string, options: OpenOptions = {}): Promise<AuditLog> {
	return openHere(parseAuditDb(spec), options);
}

async function openHere(target: AuditDbTarget, options: OpenOptions): Promise<AuditLog> {
	let backend: AuditBackend;
	try {
		backend = await createBackend(target, options);
	} catch (err) {
		throw new AuditOpenError(`cannot open audit database ${target.kind === 'sqlite' ? target.path : target.location}: ${(err as Error).message}`);
	}
	return openOn(backend, options);
}

async function openOn(backend: AuditBackend, options: OpenOptions): Promise<AuditLog> {
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
