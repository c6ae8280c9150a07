// One loaded module: a taprun process, its sequenced output, its lease.
// taprun runs in its own process group so that a terminal's Ctrl-C reaches
// the agent (which decides) and not the module directly.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ModuleManifest } from '../controller/module/manifest.js';
import { LineChunker } from './line-chunker.js';
import { OutputBuffer, type BufferLimits, type BufferedRecord } from './output-buffer.js';
import { processStartTime } from './proc.js';

export type SessionState = 'running' | 'stopping' | 'finished';

export interface SessionExitInfo {
	exitCode: number;
	signal: string;
	reason: string;
}

export interface SessionSpec {
	id: string;
	manifest: ModuleManifest;
	moduleDir: string;
	owner: string;
	leaseSeconds: number;
	timeLimitSeconds: number;
	args: string[];
	detach: boolean;
	/** The controller's audit run id (may be empty). */
	runId: string;
	/** target() (taprun -x); 0 = none. */
	targetPid: number;
	/** target() a command started for the session (taprun -c); '' = none. */
	targetCommand: string;
	/** No warnings on the session's stderr (taprun -w). */
	quietWarnings: boolean;
	/** MiB between the kernel side and taprun (taprun -s); 0: taprun's default. */
	kernelBufferMib: number;
	taprunPath: string;
	bufferLimits: BufferLimits;
	/** How long end probes may take after SIGTERM before taprun is killed. */
	endGraceMs: number;
}

/** Largest text record: longer runs of output are split at line ends. */
const MAX_RECORD_BYTES = 64 * 1024;
/** After taprun is killed: how long what is left in its output pipes has to arrive. */
const KILLED_DRAIN_MS = 500;

export class Session {
	readonly output: OutputBuffer;
	readonly startedAt = Date.now();
	state: SessionState = 'running';
	exit: SessionExitInfo | undefined;
	pid = 0;
	startTime = '';
	/** Subscribers that keep the lease alive (controllers), and when the last one left. */
	leaseHolders = 0;
	lastContact = Date.now();
	droppedRecords = 0;
	private child: ChildProcess;
	private stopReason: string | undefined;
	private exited: Promise<SessionExitInfo>;
	private killTimer: NodeJS.Timeout | undefined;

	constructor(
		readonly spec: SessionSpec,
		private onRecord: (rec: BufferedRecord) => void,
	) {
		this.output = new OutputBuffer(spec.bufferLimits);
		const argv = [
			...(spec.timeLimitSeconds > 0 ? ['-T', String(spec.timeLimitSeconds)] : []),
			...(spec.targetPid > 0 ? ['-x', String(spec.targetPid)] : []),
			...(spec.targetCommand ? ['-c', spec.targetCommand] : []),
			...(spec.quietWarnings ? ['-w'] : []),
			...(spec.kernelBufferMib > 0 ? ['-s', String(spec.kernelBufferMib)] : []),
			spec.moduleDir,
			...spec.args,
		];
		this.child = spawn(spec.taprunPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		this.pid = this.child.pid ?? 0;
		this.startTime = (this.pid && processStartTime(this.pid)) || '';
		const outDone = this.pipeLines(this.child.stdout!, 'stdout');
		const errDone = this.pipeLines(this.child.stderr!, 'stderr');
		this.exited = new Promise((resolve) => {
			let spawnError: Error | undefined;
			this.child.on('error', (e) => (spawnError = e));
			// taprun waits for the commands its system() started, and stops them when stopped;
			// killed (a forced stop), it cannot: those still running may hold its output pipes,
			// and the session ends without their output once what is in the pipes is read
			this.child.on('exit', (_code, signal) => {
				if (signal !== null) setTimeout(() => [this.child.stdout, this.child.stderr].forEach((s) => s?.destroy()), KILLED_DRAIN_MS);
			});
			this.child.on('close', async (code, signal) => {
				await Promise.all([outDone, errDone]);
				if (this.killTimer) clearTimeout(this.killTimer);
				if (spawnError) this.append({ kind: 'stderr', data: Buffer.from(`tapfleet agent: cannot run ${spec.taprunPath}: ${spawnError.message}\n`) });
				// A taprun that never started failed to load, which stap reports as status 1.
				const info: SessionExitInfo = spawnError
					? { exitCode: 1, signal: '', reason: 'failed to start' }
					: { exitCode: code ?? -1, signal: signal ?? '', reason: this.stopReason ?? (this.reachedTimeLimit() ? 'time limit' : 'exited') };
				this.exit = info;
				this.state = 'finished';
				this.append({ kind: 'exit', ...info });
				resolve(info);
			});
		});
	}

	get leaseExpired(): boolean {
		return !this.spec.detach && this.state === 'running' && this.leaseHolders === 0 && Date.now() - this.lastContact > this.spec.leaseSeconds * 1000;
	}

	/**
	 * Stops the session: end probes first (SIGTERM), or at once (force).
	 * `reason` is recorded: "unloaded", "forced", "lease expired", "agent stopped".
	 */
	stop(force: boolean, reason: string): Promise<SessionExitInfo> {
		if (this.state === 'finished') return this.exited;
		// The first reason stands, except that forcing overrides a polite unload.
		if (this.stopReason === undefined || reason === 'forced') this.stopReason = reason;
		this.state = 'stopping';
		this.signal(force ? 'SIGKILL' : 'SIGTERM');
		if (!force && !this.killTimer) this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.spec.endGraceMs);
		return this.exited;
	}

	/** taprun stops itself at -T; a stop on its own at (or after) that time is the time limit's doing. */
	private reachedTimeLimit(): boolean {
		const t = this.spec.timeLimitSeconds;
		return t > 0 && Date.now() - this.startedAt >= t * 1000 - 100;
	}

	whenFinished(): Promise<SessionExitInfo> {
		return this.exited;
	}

	private signal(sig: NodeJS.Signals): void {
		try {
			if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
		} catch {
			/* already gone */
		}
	}

	private append(body: Parameters<OutputBuffer['append']>[0]): void {
		this.onRecord(this.output.append(body));
	}

	/** Turns a pipe into records of whole lines (bytes, never decoded), flushing a partial line at the end. */
	private pipeLines(stream: NodeJS.ReadableStream, kind: 'stdout' | 'stderr'): Promise<void> {
		const lines = new LineChunker(MAX_RECORD_BYTES, (data) => this.append({ kind, data }));
		stream.on('data', (chunk: Buffer) => lines.push(chunk));
		return new Promise((resolve) => {
			let ended = false;
			const done = () => {
				if (ended) return;
				ended = true;
				lines.end();
				resolve();
			};
			stream.on('end', done);
			stream.on('close', done); // destroyed (below) without an end
		});
	}
}
