// One run in a warm runner, for one client: the command line runs in this
// process as it would have in the client's (its arguments; its directory,
// which the runner has entered; its umask; its environment, which place.ts
// makes sure is this process's but for PWD and the like, set here), with
// process.stdout and process.stderr sent to the client, and the
// client's signals delivered here. What would have ended the CLI's process
// (a signal with no handler, its terminal gone, process.exit) ends this
// runner the same way, after telling the client.
import { Console } from 'node:console';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { FramedOutput } from './framed-output.js';
import { FORWARDED_SIGNALS, FRAME, frame, type FrameReader, type ForwardedSignal, type WarmExit, type WarmRequest } from './protocol.js';
import { VOLATILE_ENV } from './place.js';
import { forgetCommandCaches } from '../../controller/util/command-cache.js';
import { spawnCommandsWith } from '../commands/gated-command.js';
import { RemoteCommands } from './remote-command.js';

/** How long a dying runner waits for its last frames to reach the client. */
const LAST_WORDS_MS = 2000;

export interface ServeRunOptions {
	socket: Socket;
	reader: FrameReader;
	request: WarmRequest;
	/** The CLI (cli/program.ts runCli). */
	runCli: (argv: string[]) => Promise<void>;
	log: (line: string) => void;
}

/** Runs the request's command line; resolves once the client has its exit. */
export async function serveRun(o: ServeRunOptions): Promise<void> {
	const { socket, request } = o;
	const out = new FramedOutput(socket, FRAME.STDOUT, request.stdout);
	const err = new FramedOutput(socket, FRAME.STDERR, request.stderr);
	const restore = swapProcess(out, err);
	const commands = request.spawns ? new RemoteCommands(socket) : undefined;
	let finished = false;
	const die = (exit: WarmExit, why: string) => {
		o.log(`stopped during a run for pid ${request.clientPid}: ${why}`);
		finished = true;
		const code = 'code' in exit ? exit.code : 128 + constants.signals[exit.signal];
		setTimeout(() => restore.exit(code), LAST_WORDS_MS).unref();
		void tellExit(socket, [out, err], exit).then(() => restore.exit(code));
	};
	// As the kernel would deliver it to the CLI: to its handlers, or (none) ending the process.
	const deliver = (signal: ForwardedSignal) => {
		if (finished) return;
		if (process.listenerCount(signal) > 0) process.emit(signal, signal);
		else die({ signal }, `${signal} with no handler`);
	};
	restore.onExit = (code) => die({ code }, `process.exit(${code})`);
	socket.on('data', (chunk: Buffer) => {
		let frames;
		try {
			frames = o.reader.push(chunk);
		} catch {
			return deliver('SIGHUP');
		}
		for (const f of frames) {
			if (commands?.take(f)) continue;
			if (f.type === FRAME.SIGNAL) {
				const name = f.payload.toString('utf8') as ForwardedSignal;
				if ((FORWARDED_SIGNALS as readonly string[]).includes(name)) deliver(name);
			} else if (f.type === FRAME.STDOUT_GONE && !out.gone) {
				out.gone = true;
				// as the CLI's own stdout would say it; with nobody listening, the CLI's main.ts exits 0
				if (out.listenerCount('error') > 0) out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
				else die({ code: 0 }, 'its output went away');
			}
		}
	});
	socket.on('error', () => {});
	// The client gone (killed, its terminal closed): as a hang-up of the CLI's terminal.
	socket.on('close', () => {
		commands?.gone();
		deliver('SIGHUP');
	});
	try {
		for (const k of VOLATILE_ENV) {
			if (request.volatileEnv[k] !== undefined) process.env[k] = request.volatileEnv[k];
			else delete process.env[k];
		}
		process.exitCode = undefined;
		// the runner's own files are 0600 (its umask); the run's are as the user's umask makes them
		const runnerUmask = process.umask(request.umask);
		restore.onBack(() => process.umask(runnerUmask));
		// files may have changed since the last run: what the last command read by path is read again
		forgetCommandCaches();
		spawnCommandsWith(commands?.spawner);
		await o.runCli(request.argv);
	} finally {
		spawnCommandsWith(undefined);
		if (!finished) {
			finished = true;
			const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
			process.exitCode = undefined;
			o.log(`served a run for pid ${request.clientPid}: exit ${code}`);
			restore.back();
			await tellExit(socket, [out, err], { code });
			socket.destroy();
		}
	}
}

/**
 * The exit frame, after everything the run wrote (the streams pass on one
 * write at a time, waiting for the socket: what they still hold goes first).
 */
async function tellExit(socket: Socket, outputs: FramedOutput[], exit: WarmExit): Promise<void> {
	await Promise.all(outputs.map((s) => new Promise<void>((resolve) => {
		s.once('error', () => resolve());
		s.end(() => resolve());
	})));
	await new Promise<void>((resolve) => {
		if (socket.destroyed) return resolve();
		socket.once('close', () => resolve());
		socket.end(frame(FRAME.EXIT, JSON.stringify(exit)), () => resolve());
	});
	socket.destroy();
}

interface Swapped {
	back(): void;
	/** Also undone by back(). */
	onBack(f: () => void): void;
	/** Ends this process (the real process.exit). */
	exit(code: number): never;
	/** What a call of process.exit during the run does instead. */
	onExit: (code: number) => void;
}

/** process.stdout, process.stderr, console and process.exit pointed at the run's client, until back(). */
function swapProcess(out: FramedOutput, err: FramedOutput): Swapped {
	const stdout = Object.getOwnPropertyDescriptor(process, 'stdout')!;
	const stderr = Object.getOwnPropertyDescriptor(process, 'stderr')!;
	const console = globalThis.console;
	const exit = process.exit;
	const undo: (() => void)[] = [];
	const swapped: Swapped = {
		onBack: (f) => undo.push(f),
		back() {
			for (const f of undo) f();
			Object.defineProperty(process, 'stdout', stdout);
			Object.defineProperty(process, 'stderr', stderr);
			globalThis.console = console;
			process.exit = exit;
		},
		exit: (code) => exit.call(process, code),
		onExit: () => {},
	};
	Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => out });
	Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => err });
	globalThis.console = new Console({ stdout: out, stderr: err });
	process.exit = ((code?: number | string | null) => {
		swapped.onExit(typeof code === 'number' ? code : typeof process.exitCode === 'number' ? process.exitCode : 0);
		// the CLI's code does not go on past an exit: neither does it here, until the client has been told
		return new Promise(() => {}) as never;
	}) as typeof process.exit;
	return swapped;
}
