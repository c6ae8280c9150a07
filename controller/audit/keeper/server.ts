// The audit keeper's socket: records the runs of this user in its one open
// log (run-session.ts), until it has been idle long enough or its socket is
// taken away.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AuditBackend } from '../backend.js';
import { encodeFrame, errorOf, FrameReader, KEEPER_RUN_OPS, type KeeperAnswer, type KeeperHello, type KeeperRunOp } from './protocol.js';
import { KeeperRunSession } from './run-session.js';

const OPS: ReadonlySet<string> = new Set(['hello', ...KEEPER_RUN_OPS]);

/** How often the keeper checks that its socket is still its own (a new keeper or a removed directory ends it). */
const SOCKET_CHECK_MS = 5000;

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

export type KeeperStop = 'idle' | 'socket-gone' | 'stopped';

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
	await listen(server, o.socketPath);
	const inode = lstatSync(o.socketPath).ino;
	o.log(`serving on ${o.socketPath}, idle limit ${o.idleMs} ms`);
	let tick: NodeJS.Timeout | undefined;
	const why = await new Promise<KeeperStop>((resolve) => {
		tick = setInterval(
			() => {
				if (lstatSync(o.socketPath, { throwIfNoEntry: false })?.ino !== inode) resolve('socket-gone');
				else if (clients.size === 0 && Date.now() - lastActive >= o.idleMs) resolve('idle');
			},
			Math.min(o.idleMs, SOCKET_CHECK_MS),
		);
		o.stop?.addEventListener('abort', () => resolve('stopped'), { once: true });
		server.once('error', (err) => {
			o.log(`socket error: ${err.message}`);
			resolve('socket-gone');
		});
	});
	clearInterval(tick);
	// Only our own socket file is removed: a newer keeper may have put its own there. The server is
	// not closed: closing a Unix socket server unlinks its path, whoever's socket is there by then;
	// the keeper's process ends right after this (main.ts).
	if (why !== 'socket-gone' && lstatSync(o.socketPath, { throwIfNoEntry: false })?.ino === inode) unlinkSync(o.socketPath);
	for (const c of clients) c.destroy();
	server.unref();
	return why;
}

/** listen(), replacing a stale socket file (no one answering on it) once; a live one means another keeper won. */
async function listen(server: Server, path: string): Promise<void> {
	const attempt = () =>
		new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(path, () => {
				server.off('error', reject);
				resolve();
			});
		});
	try {
		await attempt();
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
		if (await answers(path)) throw new KeeperAlreadyServingError(`another audit keeper serves ${path}`);
		unlinkSync(path);
		await attempt();
	}
}

function answers(path: string): Promise<boolean> {
	return new Promise((resolve) => {
		const s = connect(path);
		s.once('connect', () => {
			s.destroy();
			resolve(true);
		});
		s.once('error', () => resolve(false));
	});
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
