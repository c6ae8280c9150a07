// `tapfleet run` through a warm runner (runner.ts): the first thing
// bin/tapfleet does for `run`, before any of the CLI loads. When this
// environment's runner is there and free, the command runs in it and this
// process only passes on its output, its signals and its exit; the run's
// time to first output is then Node's start and the run itself, without
// loading and compiling the CLI (~100 ms, docs/warm.md). Otherwise the CLI
// runs here as always, and starts a runner for the next run when it is done.
//
// Not through a runner: `-c CMD` (the command must have this terminal as
// its stdin and output: the C client starts it, runtime-c/warm/, this one
// does not), a script read from stdin (`-`), any command but `run`, and
// TAPFLEET_WARM_KEEP=0.
import { lstatSync, unlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connectUnix } from '../../controller/util/unix-service.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ownSocket, privateDir } from '../../controller/util/private-dir.js';
import { runsWarm } from './runs-warm.js';
import { runnerPlace, VOLATILE_ENV, WarmSettingError, type RunnerPlace } from './place.js';
import { FORWARDED_SIGNALS, FRAME, frame, FrameReader, WARM_PROTOCOL, type ForwardedSignal, type WarmExit, type WarmRequest } from './protocol.js';

/** A runner that takes longer than this to accept or refuse a run is taken for wedged: its socket is removed and the run goes on here. */
const ACCEPT_TIMEOUT_MS = 5000;

const RUNNER_MAIN = fileURLToPath(new URL('./runner.js', import.meta.url));

declare global {
	// Set when this run goes the CLI's way and a runner should be started once it is done (cli/main.ts).
	var __TAPFLEET_WARM_START__: (() => void) | undefined;
}

/**
 * Runs the command line through this environment's warm runner if it can;
 * true when it did (process.exitCode is set, or this process is dying of the
 * run's signal), false when the CLI should run it here.
 */
export async function warmRun(argv: string[], codeIdentity: string): Promise<boolean> {
	// A run a runner would take from the C client (-c) starts one too, but this client only asks for what it can serve itself.
	if (!runsWarm(argv, true)) return false;
	let place: RunnerPlace | undefined;
	try {
		place = runnerPlace(codeIdentity, process.env, WARM_PROTOCOL);
	} catch (err) {
		if (!(err instanceof WarmSettingError)) throw err;
		process.stderr.write(`tapfleet run: ${err.message}\n`);
		process.exitCode = 1;
		return true;
	}
	if (!place) return false;
	const found = place;
	const env = { ...process.env };
	const startRunner = () => spawnRunner(found, env);
	const present = lstatSync(place.socketPath, { throwIfNoEntry: false });
	if (!present) {
		globalThis.__TAPFLEET_WARM_START__ = startRunner;
		return false;
	}
	if (!runsWarm(argv)) return false;
	// Only a socket of this user in a directory only this user can enter is trusted with the command line.
	if (!ownSocket(place.socketPath, place.dir)) return false;
	const socket = await connectUnix(place.socketPath);
	if (!socket) {
		globalThis.__TAPFLEET_WARM_START__ = startRunner; // a dead runner's socket: the new one replaces it
		return false;
	}
	const accepted = await askToRun(socket, argv, place);
	if (accepted === 'busy') return false;
	if (accepted === 'wedged') {
		if (lstatSync(place.socketPath, { throwIfNoEntry: false })?.ino === present.ino) unlinkSync(place.socketPath);
		globalThis.__TAPFLEET_WARM_START__ = startRunner;
		return false;
	}
	const exit = await relay(socket, accepted.reader, accepted.pending, place);
	if ('code' in exit) {
		process.exitCode = exit.code;
	} else {
		// the CLI would have died of it: so does this process, for the shell to see
		for (const s of FORWARDED_SIGNALS) process.removeAllListeners(s);
		process.kill(process.pid, exit.signal);
	}
	return true;
}

interface Accepted {
	reader: FrameReader;
	/** Frames that came with the acceptance. */
	pending: Buffer[];
}

/** Sends the request; the runner takes the run, is busy with another, or does not answer in time. */
function askToRun(socket: Socket, argv: string[], place: RunnerPlace): Promise<Accepted | 'busy' | 'wedged'> {
	const volatileEnv: Record<string, string> = {};
	for (const k of VOLATILE_ENV) if (process.env[k] !== undefined) volatileEnv[k] = process.env[k]!;
	const tty = (s: NodeJS.WriteStream) => ({ isTTY: !!s.isTTY, columns: s.columns, rows: s.rows });
	const request: WarmRequest = { clientPid: process.pid, sentAtMs: Date.now(), argv, cwd: process.cwd(), fingerprint: place.fingerprint, umask: process.umask(), volatileEnv, stdout: tty(process.stdout), stderr: tty(process.stderr), spawns: false };
	return new Promise((resolve) => {
		const reader = new FrameReader();
		const timer = setTimeout(() => settle('wedged'), ACCEPT_TIMEOUT_MS);
		const settle = (r: Accepted | 'busy' | 'wedged') => {
			clearTimeout(timer);
			socket.off('data', onData);
			socket.off('close', onClose);
			if (r === 'busy' || r === 'wedged') socket.destroy();
			resolve(r);
		};
		const onClose = () => settle('busy');
		const onData = (chunk: Buffer) => {
			let frames;
			try {
				frames = reader.push(chunk);
			} catch {
				return settle('busy');
			}
			const first = frames[0];
			if (!first) return;
			if (first.type !== FRAME.ACCEPTED) return settle('busy');
			// frames after the acceptance in the same read: the relay handles them
			const rest = frames.slice(1).map((f) => frame(f.type, f.payload));
			settle({ reader, pending: rest });
		};
		socket.on('data', onData);
		socket.on('close', onClose);
		socket.on('error', () => {});
		socket.write(frame(FRAME.REQUEST, JSON.stringify(request)));
	});
}

/** Passes the run's output and this process's signals on until the runner says how the run ended. */
function relay(socket: Socket, reader: FrameReader, pending: Buffer[], place: RunnerPlace): Promise<WarmExit> {
	return new Promise((resolve) => {
		let stdoutGone = false;
		let ended = false;
		const onSignal = (s: ForwardedSignal) => {
			if (!socket.destroyed) socket.write(frame(FRAME.SIGNAL, s));
		};
		for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);
		const onStdoutError = () => {
			if (stdoutGone) return;
			stdoutGone = true;
			// a write waiting for stdout's drain held the socket: it will not drain now
			socket.resume();
			if (!socket.destroyed) socket.write(frame(FRAME.STDOUT_GONE, ''));
		};
		process.stdout.on('error', onStdoutError);
		const finish = (exit: WarmExit) => {
			if (ended) return;
			ended = true;
			for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
			socket.destroy();
			resolve(exit);
		};
		const write = (stream: NodeJS.WriteStream, bytes: Buffer) => {
			// the terminal or pipe is slower than the run: the runner waits (its socket fills), nothing is dropped
			if (!stream.write(bytes) && !(stream === process.stdout && stdoutGone)) {
				socket.pause();
				stream.once('drain', () => socket.resume());
			}
		};
		const onFrames = (chunk: Buffer) => {
			let frames;
			try {
				frames = reader.push(chunk);
			} catch (err) {
				process.stderr.write(`tapfleet run: the warm runner sent what cannot be read (${(err as Error).message}); its log: ${place.logPath}\n`);
				return finish({ code: 70 });
			}
			for (const f of frames) {
				if (f.type === FRAME.STDOUT) {
					if (!stdoutGone) write(process.stdout, f.payload);
				} else if (f.type === FRAME.STDERR) write(process.stderr, f.payload);
				else if (f.type === FRAME.EXIT) return finish(exitOf(f.payload));
			}
		};
		socket.on('data', onFrames);
		socket.on('close', () => {
			if (ended) return;
			process.stderr.write(`tapfleet run: the warm runner ended without finishing the run; its log: ${place.logPath}\n`);
			finish({ code: 70 });
		});
		for (const p of pending) onFrames(p);
	});
}

function exitOf(payload: Buffer): WarmExit {
	try {
		const e = JSON.parse(payload.toString('utf8')) as WarmExit;
		if ('signal' in e && (FORWARDED_SIGNALS as readonly string[]).includes(e.signal)) return e;
		if ('code' in e && Number.isInteger(e.code) && e.code >= 0 && e.code <= 255) return e;
	} catch {
		// below
	}
	return { code: 70 };
}

/**
 * Starts this environment's runner in the background and returns at once.
 * Its settings go through a pipe; it outlives this process (its own session,
 * no terminal, no inherited output: a shell or CI job waiting on our output
 * does not wait for it) and stops by itself once idle.
 */
function spawnRunner(place: RunnerPlace, env: NodeJS.ProcessEnv): void {
	if (!privateDir(place.dir)) return;
	try {
		// loaded here, synchronously (the process is about to exit): only a run that found no runner needs it
		const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
		const child = spawn(process.execPath, [RUNNER_MAIN], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env, cwd: '/' });
		child.on('error', () => {}); // no runner: runs keep running here
		child.stdin!.on('error', () => {});
		child.stdin!.end(JSON.stringify(place));
		child.unref();
	} catch {
		// likewise
	}
}
