// The audit keeper's socket: records the runs of this user in its one open
// log (run-session.ts), until it has been idle long enough or its socket is
// taken away.
import { createServer, type Socket } from 'node:net';
import { AlreadyServingError, listenUnix, serveUntil, type ServiceStop } from '../../util/unix-service.js';
import type { AuditBackend } from '../backend.js';
import { encodeFrame, errorOf, FrameReader, KEEPER_RUN_OPS, type KeeperAnswer, type KeeperHello, type KeeperRunOp } from './protocol.js';
import { KeeperRunSession } from './run-session.js';

const OPS: ReadonlySet<string> = new Set(['hello', ...KEEPER_RUN_OPS]);

export interface KeeperServerOptions {
	socketPath: string;
	/** Stops after this long with no client connected. */
	idleMs: number;
	/** Answers a client's hello (and checks what must be current before a run uses the log). */
	hello: () => Promise<KeeperHello>;
	/** One line for the keeper's log file. */
	log: (line: string) => void;
	/** Stops serving when aborted (a signal to the keeper). */
	stop?: AbortSignal;
}

export type KeeperStop = ServiceStop;

/** Another keeper already serves this socket. */
export class KeeperAlreadyServingError extends Error {}

/**
 * Listens on the socket and serves until idle, replaced or stopped;
 * resolves with why it stopped, its socket file removed if still its own.
 * The process must end then (the listening handle is left to its exit).
 */
export async function serveKeeper(backend: AuditBackend, o: KeeperServerOptions): Promise<KeeperStop> {
	const clients = new Set<Socket>();
	let lastActive = Date.now();
	const server = createServer((socket) => {
		clients.add(socket);
		lastActive = Date.now();
		socket.on('close', () => {
			clients.delete(socket);
			lastActive = Date.now();
		});
		serveConnection(backend, socket, o.hello, o.log, () => (lastActive = Date.now()));
	});
	let inode: number;
	try {
		inode = await listenUnix(server, o.socketPath);
	} catch (err) {
		throw err instanceof AlreadyServingError ? new KeeperAlreadyServingError(`another audit keeper serves ${o.socketPath}`) : err;
	}
	o.log(`serving on ${o.socketPath}, idle limit ${o.idleMs} ms`);
	const why = await serveUntil(server, { socketPath: o.socketPath, inode, idleMs: o.idleMs, idleSince: () => (clients.size === 0 ? lastActive : undefined), log: o.log, stop: o.stop });
	for (const c of clients) c.destroy();
	return why;
}

/**
 * One client: its hello answered, its run steps (run.*) started as they
 * arrive, in order, and answered as each settles (run-session.ts). A frame
 * that cannot be read ends the connection; a run session left open is
 * committed then.
 */
function serveConnection(backend: AuditBackend, socket: Socket, hello: () => Promise<KeeperHello>, log: (line: string) => void, active: () => void): void {
	const reader = new FrameReader();
	let run: KeeperRunSession | undefined;
	const answer = (a: KeeperAnswer) => {
		if (socket.destroyed) return;
		let frame: Buffer;
		try {
			frame = encodeFrame(a);
		} catch (err) {
			frame = encodeFrame({ id: a.id, ok: false, error: errorOf(err) });
		}
		socket.write(frame);
	};
	socket.on('data', (chunk: Buffer) => {
		active();
		let messages: unknown[];
		try {
			messages = reader.push(chunk);
		} catch (err) {
			log(`dropped a client: ${(err as Error).message}`);
			socket.destroy();
			return;
		}
		for (const m of messages) {
			const r = m as { id?: unknown; op?: unknown; args?: unknown };
			const id = typeof r?.id === 'number' ? r.id : 0;
			if (typeof r?.op !== 'string' || !OPS.has(r.op) || !Array.isArray(r.args)) {
				answer({ id, ok: false, error: { message: 'audit keeper: malformed request' } });
				continue;
			}
			const step = r.op === 'hello' ? hello() : (run ??= new KeeperRunSession(backend)).serve(r.op as KeeperRunOp, r.args);
			step.then(
				(value) => answer({ id, ok: true, value: value ?? null }),
				(err) => answer({ id, ok: false, error: errorOf(err) }),
			).finally(active);
		}
	});
	socket.on('error', () => {}); // a client that went away: its 'close' follows
	socket.on('close', () => {
		run?.abandon().catch((err: Error) => log(`a run's last records were not written: ${err.message}`));
	});
}
