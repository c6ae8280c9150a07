// A client's connection to the audit keeper (keeper/main.ts): requests
// framed as protocol.ts says, each answered by id, bounded in time. A run's
// log through the keeper (run-client.ts) is its only user.
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import { encodeFrame, FrameReader, KEEPER_PROTOCOL, type KeeperAnswer, type KeeperError, type KeeperHello, type KeeperOp } from './protocol.js';

/** A keeper that accepted the connection but does not say hello in this time is not used (the run opens the log itself, and removes its socket: connect below). Generous: a keeper on a loaded machine must not be taken for a wedged one. */
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

export class KeeperConnection {
	private readonly waiting = new Map<number, Waiting>();
	private nextId = 1;
	private gone?: Error;
	/** close() was called: the socket stays referenced until it has closed (a late answer must not unref it). */
	private closing = false;

	/** The keeper's hello: where the log lives (a file, or a URL without its password). */
	location = '';

	private constructor(
		private readonly socket: Socket,
		readonly socketPath: string,
		private readonly timeoutMs: number,
	) {}

	/**
	 * Connects to the keeper at `socketPath` and checks it serves a log of
	 * `kind` in this protocol and schema version; `timeoutMs` bounds every
	 * request after that.
	 */
	static async connect(socketPath: string, kind: 'sqlite' | 'postgres', timeoutMs = REQUEST_TIMEOUT_MS): Promise<KeeperConnection> {
		return (await KeeperConnection.connectWith(socketPath, kind, null, timeoutMs)).conn;
	}

	/**
	 * connect(), with a first request sent right behind the hello (one
	 * round trip, not two, where every process waits its turn for a CPU);
	 * its answer is `first`, for a keeper that passed the hello's checks.
	 */
	static async connectWith(
		socketPath: string,
		kind: 'sqlite' | 'postgres',
		request: { op: KeeperOp; args: unknown[] } | null,
		timeoutMs = REQUEST_TIMEOUT_MS,
	): Promise<{ conn: KeeperConnection; first: Promise<unknown> }> {
		const socket = connect(socketPath);
		const connected = new Promise<void>((resolve, reject) => {
			socket.once('connect', () => {
				socket.off('error', reject);
				resolve();
			});
			socket.once('error', (err) => reject(new KeeperUnavailableError(`no audit keeper at ${socketPath}: ${err.message}`)));
		});
		const client = new KeeperConnection(socket, socketPath, timeoutMs);
		client.listen();
		// Written at once (the socket buffers them until connected), in this order: the keeper serves them so.
		const hello = client.call('hello', [], HELLO_TIMEOUT_MS) as Promise<KeeperHello>;
		const first = request ? client.call(request.op, request.args) : Promise.resolve(null);
		hello.catch(() => {}); // awaited below, unless the connect failed first
		first.catch(() => {}); // the caller's, once the hello passed
		try {
			await connected;
			const said = await hello;
			if (said?.protocol !== KEEPER_PROTOCOL || said.schemaVersion !== LATEST_SCHEMA_VERSION || said.kind !== kind) {
				throw new KeeperUnavailableError(`the audit keeper at ${socketPath} serves another version or log`);
			}
			client.location = said.location;
			return { conn: client, first };
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

	/** One request; settles with the keeper's answer (or its error, or a time-out). */
	call(op: KeeperOp, args: unknown[], timeoutMs = this.timeoutMs): Promise<unknown> {
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

	/** Ends the connection; the keeper stays for the next run. */
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
