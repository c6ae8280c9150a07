// A run's -c command in a warm runner: started by the client, which has the
// user's terminal (protocol.ts, SPAWN .. EXITED), and seen here as any
// gated command (cli/commands/gated-command.ts). One per run.
import type { Socket } from 'node:net';
import type { CommandSpawner, GatedCommand } from '../commands/gated-command.js';
import { FRAME, frame, type Frame } from './protocol.js';

interface Pending {
	resolve(pid: number): void;
	reject(err: Error): void;
	exited: boolean;
	onExit: ((code: number | null, signal: string | null) => void)[];
}

export class RemoteCommands {
	private current: Pending | undefined;

	constructor(private readonly socket: Socket) {}

	readonly spawner: CommandSpawner = (argv) => {
		if (this.current) return failed(new Error('a run starts one command'));
		let pending!: Pending;
		const started = new Promise<number>((resolve, reject) => (pending = { resolve, reject, exited: false, onExit: [] }));
		started.catch(() => {});
		this.current = pending;
		this.socket.write(frame(FRAME.SPAWN, Buffer.concat(argv.map((a) => Buffer.from(`${a}\0`)))));
		const command: GatedCommand = {
			started,
			release: () => {
				if (!this.socket.destroyed) this.socket.write(frame(FRAME.RELEASE, ''));
			},
			running: () => !pending.exited,
			onExit: (f) => pending.onExit.push(f),
		};
		return command;
	};

	/** A SPAWNED or EXITED frame from the client: true when it was one. */
	take(f: Frame): boolean {
		if (f.type !== FRAME.SPAWNED && f.type !== FRAME.EXITED) return false;
		const c = this.current;
		let body: { pid?: unknown; error?: unknown; code?: unknown; signal?: unknown } = {};
		try {
			body = JSON.parse(f.payload.toString('utf8'));
		} catch {
			// below: as a failure
		}
		if (!c) return true;
		if (f.type === FRAME.SPAWNED) {
			if (Number.isSafeInteger(body.pid) && (body.pid as number) > 0) c.resolve(body.pid as number);
			else c.reject(new Error(typeof body.error === 'string' ? body.error : 'the command could not be started'));
		} else if (!c.exited) {
			c.exited = true;
			const code = Number.isSafeInteger(body.code) ? (body.code as number) : null;
			const signal = typeof body.signal === 'string' ? body.signal : null;
			for (const f of c.onExit) f(code, signal);
		}
		return true;
	}

	/** The client went away: a command it was starting never will be. */
	gone(): void {
		this.current?.reject(new Error('the client went away'));
	}
}

function failed(err: Error): GatedCommand {
	const started = Promise.reject(err);
	started.catch(() => {});
	return { started, release() {}, running: () => false, onExit() {} };
}
