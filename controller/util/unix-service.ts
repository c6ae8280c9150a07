// A background service of this user on a Unix socket (the audit keeper, the
// warm runner): listening where a dead predecessor may have left its socket
// file, and serving until idle, stopped, or replaced.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';

/** How often a service checks that its socket is still its own (a newer service or a removed directory ends it). */
const SOCKET_CHECK_MS = 5000;

/** Another live process already serves this socket. */
export class AlreadyServingError extends Error {}

export type ServiceStop = 'idle' | 'socket-gone' | 'stopped';

/** listen(), replacing a stale socket file (no one answering on it) once; a live one means another service won. Resolves with the socket's inode. */
export async function listenUnix(server: Server, path: string): Promise<number> {
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
		if (await answers(path)) throw new AlreadyServingError(`another process serves ${path}`);
		unlinkSync(path);
		await attempt();
	}
	return lstatSync(path).ino;
}

async function answers(path: string): Promise<boolean> {
	const s = await connectUnix(path);
	s?.destroy();
	return s !== undefined;
}

/** A connection to the socket at `path`, or undefined when nobody listens there (or it is not there). */
export function connectUnix(path: string): Promise<Socket | undefined> {
	return new Promise((resolve) => {
		const s = connect(path);
		s.once('connect', () => resolve(s));
		s.once('error', () => resolve(undefined));
	});
}

export interface ServeUntilOptions {
	socketPath: string;
	/** The socket file's inode when this service made it. */
	inode: number;
	idleMs: number;
	/** When the service last became idle, or undefined while it is busy. */
	idleSince: () => number | undefined;
	log: (line: string) => void;
	/** Stops serving when aborted (a signal to the service). */
	stop?: AbortSignal;
}

/**
 * Serves until idle long enough, replaced or stopped; resolves with why, its
 * socket file removed if still its own. The server is not closed: closing a
 * Unix socket server unlinks its path, whoever's socket is there by then;
 * the process must end right after.
 */
export async function serveUntil(server: Server, o: ServeUntilOptions): Promise<ServiceStop> {
	let tick: NodeJS.Timeout | undefined;
	const why = await new Promise<ServiceStop>((resolve) => {
		tick = setInterval(
			() => {
				const since = o.idleSince();
				if (lstatSync(o.socketPath, { throwIfNoEntry: false })?.ino !== o.inode) resolve('socket-gone');
				else if (since !== undefined && Date.now() - since >= o.idleMs) resolve('idle');
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
	if (why !== 'socket-gone' && lstatSync(o.socketPath, { throwIfNoEntry: false })?.ino === o.inode) unlinkSync(o.socketPath);
	server.unref();
	return why;
}
