// Opening the audit log: pick the backend from --audit-db (or the default),
// migrate it, and give back one object for writing, querying and verifying.
import { AuditWriter } from './audit-log.js';
import type { AuditBackend } from './backend.js';
import { KeeperBackend } from './keeper/client.js';
import { keeperPlace, spawnKeeper, type KeeperPlace } from './keeper/place.js';
import { parseAuditDb, redact, type AuditDbTarget } from './location.js';
import type { AuditListing, AuditQuery, RunView, VerifyResult } from './types.js';

export class AuditLog extends AuditWriter {
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

	/** True when this log is reached through an audit keeper process (keeper/). */
	get throughKeeper(): boolean {
		return this.backend instanceof KeeperBackend;
	}

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
	/**
	 * Through the log's audit keeper (keeper/place.ts: PostgreSQL logs,
	 * unless $TAPFLEET_AUDIT_KEEP is 0), a process that keeps the log open
	 * between runs; when there is none yet, the log is opened here and a
	 * keeper is started once it is closed, for the next run. For a run's
	 * log: one-shot commands that open it once.
	 */
	keeper?: boolean;
}

/** The backend for a log, not yet migrated. */
export async function createBackend(target: AuditDbTarget, o: { connections?: number } = {}): Promise<AuditBackend> {
	// Only the backend in use is loaded: pg alone costs ~30 ms of start-up (it loads Node's fetch to sniff its runtime).
	return target.kind === 'sqlite' ? new (await import('./sqlite-backend.js')).SqliteBackend(target.path) : new (await import('./postgres-backend.js')).PostgresBackend(target, { connections: o.connections });
}

/** Opens (creating and migrating if needed) the audit log named by `spec`. */
export async function openAuditLog(spec?: string, options: OpenOptions = {}): Promise<AuditLog> {
	const target = parseAuditDb(spec);
	let place: KeeperPlace | undefined;
	if (options.keeper) {
		try {
			place = keeperPlace(target);
		} catch (err) {
			throw new AuditOpenError((err as Error).message);
		}
		const kept = place && (await openThroughKeeper(place, target.kind, options));
		if (kept) return kept;
	}
	let backend: AuditBackend;
	try {
		backend = await createBackend(target, options);
	} catch (err) {
		throw new AuditOpenError(`cannot open audit database ${target.kind === 'sqlite' ? target.path : target.location}: ${(err as Error).message}`);
	}
	const log = await openOn(backend, options);
	if (place) log.whenClosed(() => spawnKeeper(target, place));
	return log;
}

/** The log through its keeper, or undefined when there is none to use (then the caller opens it, and gives the reasons a log cannot be opened). */
async function openThroughKeeper(place: KeeperPlace, kind: AuditDbTarget['kind'], options: OpenOptions): Promise<AuditLog | undefined> {
	let backend: KeeperBackend;
	try {
		backend = await KeeperBackend.connect(place.socketPath, kind);
	} catch {
		return undefined;
	}
	try {
		return await openOn(backend, options);
	} catch {
		return undefined; // (closed by openOn)
	}
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
