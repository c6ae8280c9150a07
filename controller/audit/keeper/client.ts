// A run's side of the audit keeper: an AuditBackend whose every method is a
// request to the keeper process, which holds the log open (keeper/main.ts).
// What a method promises is unchanged: an append settles once the keeper's
// backend has committed it (flushed to disk when durable).
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { AuditBackend, EventFilter, RunChecks } from '../backend.js';
import type { ChainHead, EventRow, NewEvent } from '../event.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import { encodeFrame, FrameReader, KEEPER_PROTOCOL, type KeeperAnswer, type KeeperError, type KeeperHello, type KeeperOp } from './protocol.js';

/** A keeper that accepted the connection but does not say hello in this time is not used (the run opens the log itself, and removes its socket: client.ts connect). Generous: a keeper on a loaded machine must not be taken for a wedged one. */
const HELLO_TIMEOUT_MS = 5000;

/**
 * A request the keeper has not answered in this time fails (a write-ahead
 * record: the run loads nothing), rather than leave `tapfleet run` waiting
 * on a keeper, or a database, that hangs.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The keeper did not answer a request in its time. */
export class KeeperTimeoutError extends Error {}

/** The keeper could not be reached (no one listening, or the wrong one): the run opens the log itself. */
export class KeeperUnavailableError extends Error {}

interface Waiting {
	resolve: (value: unknown) => void;
	reject: (err: Error) => void;
	timer: NodeJS.Timeout;
}

/** An error from the keeper's backend, with the fields callers check (code, constraint). */
function backendError(e: KeeperError): Error {
	return Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code }, e.constraint === undefined ? {} : { constraint: e.constraint });
}

export class KeeperBackend implements AuditBackend {
	private readonly waiting = new Map<number, Waiting>();
	private nextId = 1;
	private gone?: Error;
	/** close() was called: the socket stays referenced until it has closed (a late answer must not unref it). */
	private closing = false;

	private where = '';

	private constructor(
		private readonly socket: Socket,
		private readonly socketPath: string,
		readonly kind: 'sqlite' | 'postgres',
		private readonly timeoutMs: number,
	) {}

	/** Where the log lives (the keeper's backend's location: a file, or a URL without its password). */
	get location(): string {
		return this.where;
	}

	/**
	 * Connects to the keeper at `socketPath` and checks it serves a log of
	 * `kind` in this protocol and schema version; `timeoutMs` bounds every
	 * request after that.
	 */
	static async connect(socketPath: string, kind: 'sqlite' | 'postgres', timeoutMs = REQUEST_TIMEOUT_MS): Promise<KeeperBackend> {
		const socket = await new Promise<Socket>((resolve, reject) => {
			const s = connect(socketPath);
			s.once('connect', () => {
				s.off('error', reject);
				resolve(s);
			});
			s.once('error', (err) => reject(new KeeperUnavailableError(`no audit keeper at ${socketPath}: ${err.message}`)));
		});
		const client = new KeeperBackend(socket, socketPath, kind, timeoutMs);
		client.listen();
		try {
			const hello = (await client.call('hello', [], HELLO_TIMEOUT_MS)) as KeeperHello;
			if (hello?.protocol !== KEEPER_PROTOCOL || hello.schemaVersion !== LATEST_SCHEMA_VERSION || hello.kind !== kind) {
				throw new KeeperUnavailableError(`the audit keeper at ${socketPath} serves another version or log`);
			}
			client.where = hello.location;
			return client;
		} catch (err) {
			socket.destroy();
			// A keeper that accepts but does not answer (stopped, wedged) would cost every run this
			// wait: its socket goes, so the next keeper started takes its place (and it, once it
			// runs again, sees its socket gone and stops).
			if (err instanceof KeeperTimeoutError) rmSync(socketPath, { force: true });
			throw err instanceof KeeperUnavailableError ? err : new KeeperUnavailableError((err as Error).message);
		}
	}

	private listen(): void {
		const reader = new FrameReader();
		this.socket.on('data', (chunk: Buffer) => {
			let answers: unknown[];
			try {
				answers = reader.push(chunk);
			} catch (err) {
				this.socket.destroy(err as Error);
				return;
			}
			for (const a of answers as KeeperAnswer[]) {
				const w = this.waiting.get(a.id);
				if (!w) continue; // (one that timed out)
				this.waiting.delete(a.id);
				clearTimeout(w.timer);
				if (a.ok) w.resolve(a.value);
				else w.reject(backendError(a.error));
			}
			// idle: like pg's idle connections, not what keeps a process alive (but a close awaited is)
			if (this.waiting.size === 0 && !this.closing) this.socket.unref();
		});
		this.socket.on('error', () => {}); // followed by 'close'
		this.socket.on('close', () => {
			this.gone ??= new Error(`the audit keeper at ${this.socketPath} closed the connection`);
			for (const w of this.waiting.values()) {
				clearTimeout(w.timer);
				w.reject(this.gone);
			}
			this.waiting.clear();
		});
		this.socket.unref(); // like pg's idle connections: a process that forgot to close still exits
	}

	private call(op: KeeperOp, args: unknown[], timeoutMs = this.timeoutMs): Promise<unknown> {
		if (this.gone) return Promise.reject(this.gone);
		const id = this.nextId++;
		let frame: Buffer;
		try {
			frame = encodeFrame({ id, op, args });
		} catch (err) {
			return Promise.reject(err);
		}
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiting.delete(id);
				reject(new KeeperTimeoutError(`the audit keeper at ${this.socketPath} did not answer (${op}) within ${timeoutMs / 1000} s`));
			}, timeoutMs);
			this.waiting.set(id, { resolve, reject, timer });
			this.socket.ref();
			this.socket.write(frame);
		});
	}

	/** The keeper checked the log's schema when it said hello (keeper/main.ts). */
	async migrate(): Promise<void> {}

	append(events: NewEvent[], durable: boolean): Promise<EventRow[]> {
		return this.call('append', [events, durable]) as Promise<EventRow[]>;
	}

	find(filter: EventFilter, limit: number): Promise<EventRow[]> {
		return this.call('find', [filter, limit]) as Promise<EventRow[]>;
	}

	eventsOfRuns(runIds: readonly string[], onHosts?: readonly string[]): Promise<EventRow[]> {
		return this.call('eventsOfRuns', onHosts === undefined ? [runIds] : [runIds, onHosts]) as Promise<EventRow[]>;
	}

	sessionEvents(host: string, sessionId: string): Promise<EventRow[]> {
		return this.call('sessionEvents', [host, sessionId]) as Promise<EventRow[]>;
	}

	runIdsWithPrefix(prefix: string, limit: number): Promise<string[]> {
		return this.call('runIdsWithPrefix', [prefix, limit]) as Promise<string[]>;
	}

	openDispatches(sinceMs: number): Promise<EventRow[]> {
		return this.call('openDispatches', [sinceMs]) as Promise<EventRow[]>;
	}

	scan(afterSeq: number, uptoSeq: number, limit: number): Promise<EventRow[]> {
		return this.call('scan', [afterSeq, uptoSeq, limit]) as Promise<EventRow[]>;
	}

	head(): Promise<ChainHead> {
		return this.call('head', []) as Promise<ChainHead>;
	}

	async lastJournalImports(hosts: readonly string[]): Promise<Map<string, number>> {
		return new Map((await this.call('lastJournalImports', [hosts])) as [string, number][]);
	}

	async noteJournalImports(hosts: readonly string[], atMs: number): Promise<void> {
		await this.call('noteJournalImports', [hosts, atMs]);
	}

	async runChecks(hosts: readonly string[], sinceMs: number, interruptedLimit: number): Promise<RunChecks> {
		const c = (await this.call('runChecks', [hosts, sinceMs, interruptedLimit])) as { open: EventRow[]; lastImports: [string, number][]; interrupted: EventRow[] };
		return { open: c.open, lastImports: new Map(c.lastImports), interrupted: c.interrupted };
	}

	/** Ends this run's connection; the keeper stays for the next run. */
	close(): Promise<void> {
		this.gone ??= new Error('the audit log is closed');
		this.closing = true;
		if (this.socket.destroyed) return Promise.resolve();
		return new Promise((resolve) => {
			this.socket.once('close', () => resolve());
			this.socket.ref(); // awaited: the process waits for it
			this.socket.end();
		});
	}
}
