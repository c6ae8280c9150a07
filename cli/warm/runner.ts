// The warm runner process (started by client.ts when a run found none): the
// CLI loaded once, serving this user's `tapfleet run` commands of one
// environment (place.ts) one at a time on a Unix socket, until it has been
// idle for TAPFLEET_WARM_KEEP seconds. A run that comes while another is in
// it is told so and runs in its own process. Everything the runner itself
// has to say goes to its log file beside the socket; it has no terminal.
import { createServer, type Socket } from 'node:net';
import { readStdinJson } from '../../controller/util/read-stdin.js';
import { serviceLogger } from '../../controller/util/service-log.js';
import { AlreadyServingError, listenUnix, serveUntil, type ServiceStop } from '../../controller/util/unix-service.js';
import { envFingerprint, type RunnerPlace } from './place.js';
import { FRAME, frame, FrameReader, FORWARDED_SIGNALS, type WarmRequest } from './protocol.js';
import { serveRun } from './serve-run.js';
import { checkRequest } from './request.js';

/** Bound on the settings read from standard input. */
const MAX_CONFIG_BYTES = 64 * 1024;
/** A client must send its request this soon after connecting. */
const REQUEST_TIMEOUT_MS = 5000;

const STOP_REASONS: Record<ServiceStop, string> = {
	idle: 'idle',
	'socket-gone': 'its socket was removed or taken over',
	stopped: 'signalled',
};

process.umask(0o077); // the socket and the log file: this user's only
process.title = 'tapfleet-warm-runner'; // what ps and top show (docs/warm.md)

async function readPlace(): Promise<RunnerPlace> {
	const p = (await readStdinJson(MAX_CONFIG_BYTES)) as RunnerPlace;
	if (typeof p?.socketPath !== 'string' || typeof p.logPath !== 'string' || typeof p.idleMs !== 'number' || !Number.isSafeInteger(p.maxRuns) || typeof p.fingerprint !== 'string') throw new Error('bad settings');
	return p;
}

/** The code every run needs, loaded and compiled before the first run comes (the point of a runner). */
async function preload(runCli: (argv: string[]) => Promise<void>): Promise<void> {
	await Promise.all([
		import('../commands/run.js'),
		import('../commands/run-fleet-deps.js'),
		import('../commands/run-local.js'),
		import('../../controller/audit/run-log.js'),
		import('../../controller/build/script-pipeline.js'),
		import('../../controller/dispatch/embedded.js'),
		import('../../agent/host-facts.js'),
	]);
	// commander's parsing of `run`, with nothing to show for it
	const { Writable } = await import('node:stream');
	const nothing = new Writable({ write: (_c, _e, done) => done() });
	const [stdout, stderr] = [Object.getOwnPropertyDescriptor(process, 'stdout')!, Object.getOwnPropertyDescriptor(process, 'stderr')!];
	Object.defineProperty(process, 'stdout', { configurable: true, get: () => nothing });
	Object.defineProperty(process, 'stderr', { configurable: true, get: () => nothing });
	try {
		await runCli(['node', 'tapfleet', 'run', '--help']);
	} finally {
		Object.defineProperty(process, 'stdout', stdout);
		Object.defineProperty(process, 'stderr', stderr);
		process.exitCode = undefined;
	}
}

async function main(): Promise<number> {
	const place = await readPlace();
	const log = serviceLogger(place.logPath, 'warm-runner');
	if (envFingerprint(process.env) !== place.fingerprint) {
		log('not started: its environment is not the one it was started for');
		return 1;
	}
	// the script cache's key stats ~640 files a run: here, watched trees' summaries are kept instead
	(await import('../../controller/build/tree-stamp.js')).watchTreeStamps();
	// audit logs are opened once (PostgreSQL: not through a keeper for every run)
	(await import('../../controller/audit/run-log.js')).holdAuditLogs();
	const { runCli } = await import('../program.js');
	await preload(runCli);
	let running: Promise<void> | undefined;
	let idleSince = Date.now();
	let served = 0;
	const stop = new AbortController();
	const onStop = () => stop.abort();
	// While a run is in: signals are the run's (delivered by the client, or sent to this process), as they were the CLI's.
	const ownSignals = (on: boolean) => {
		for (const s of FORWARDED_SIGNALS) {
			if (on) process.on(s, onStop);
			else process.off(s, onStop);
		}
	};
	ownSignals(true);
	process.on('uncaughtException', (err) => {
		log(`stopped: ${err.stack ?? err.message}`);
		process.exit(70);
	});

	const server = createServer((socket: Socket) => {
		socket.on('error', () => {});
		if (running || stop.signal.aborted) {
			socket.end(frame(FRAME.BUSY, 'busy with another run'));
			return;
		}
		const reader = new FrameReader();
		let taken = false;
		const timer = setTimeout(() => socket.destroy(), REQUEST_TIMEOUT_MS);
		const onData = (chunk: Buffer) => {
			let request: WarmRequest | string;
			try {
				const first = reader.push(chunk)[0];
				if (!first) return;
				request = first.type === FRAME.REQUEST ? checkRequest(first.payload, place.fingerprint) : 'expected a request';
			} catch (err) {
				request = (err as Error).message;
			}
			clearTimeout(timer);
			socket.off('data', onData);
			// (another client may have been taken meanwhile: its run's directory is not to be changed)
			if (running) request = 'busy with another run';
			if (typeof request !== 'string') {
				try {
					process.chdir(request.cwd);
				} catch (err) {
					request = `cannot enter ${request.cwd}: ${(err as NodeJS.ErrnoException).code}`;
				}
			}
			if (typeof request === 'string') {
				socket.end(frame(FRAME.BUSY, request));
				return;
			}
			taken = true;
			const req = request;
			socket.write(frame(FRAME.ACCEPTED, JSON.stringify({ pid: process.pid })));
			ownSignals(false);
			running = serveRun({ socket, reader, request: req, runCli, log })
				.catch((err: Error) => log(`a run failed: ${err.stack ?? err.message}`))
				.finally(() => {
					// out of the run's directory: a runner left in it would keep a removable disk from unmounting
					process.chdir('/');
					running = undefined;
					idleSince = Date.now();
					ownSignals(true);
					// enough: a new runner (started by the next run) takes over with a fresh heap
					if (++served >= place.maxRuns) stop.abort('retired');
				});
		};
		socket.on('data', onData);
		socket.on('close', () => {
			if (!taken) clearTimeout(timer);
		});
	});
	let inode: number;
	try {
		inode = await listenUnix(server, place.socketPath);
	} catch (err) {
		if (err instanceof AlreadyServingError) return 0; // another runner won the race: nothing to say
		log(`not started: cannot listen on ${place.socketPath}: ${(err as Error).message}`);
		return 1;
	}
	log(`serving on ${place.socketPath}, idle limit ${place.idleMs} ms`);
	const why = await serveUntil(server, { socketPath: place.socketPath, inode, idleMs: place.idleMs, idleSince: () => (running ? undefined : idleSince), log, stop: stop.signal });
	// a run in progress is the user's: it ends as it would have
	await running;
	log(`stopped: ${why === 'stopped' && stop.signal.reason === 'retired' ? `served ${served} runs` : STOP_REASONS[why]}`);
	return 0;
}

process.exit(await main().catch(() => 1));
