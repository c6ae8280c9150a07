// The agent's sessions: admission (session limit), start, leases, the
// recently finished ones (kept for attach and ps), journal entries, and
// reconciliation after a restart.
import { endGraceFor } from './end-grace.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionOptions } from '../proto/gen/tapfleet/v1/agent.js';
import type { Journal } from './journal.js';
import type { Logger } from './log.js';
import type { BufferLimits, BufferedRecord } from './output-buffer.js';
import { OutputBuffer } from './output-buffer.js';
import { loadedTapfleetModules, removeKernelModule } from './kernel-modules.js';
import { processStartTime, terminate } from './proc.js';
import { Session, type SessionExitInfo } from './session.js';
import { notFound, resourceExhausted } from './status.js';
import type { ReceivedModule } from './upload.js';

export interface SessionLimits {
	maxSessions: number;
	defaultLeaseSeconds: number;
	endGraceMs: number;
	/** Finished sessions kept (with their buffered output) for attach and ps. */
	finishedKept: number;
	buffer: BufferLimits;
}

export interface Counters {
	sessionsStarted: number;
	loadsRefused: number;
	outputRecords: number;
	outputBytes: number;
	droppedRecords: number;
	droppedBytes: number;
	subscribers: number;
}

/** A session that ended before this agent started (found in the journal). */
export interface PastSession {
	id: string;
	module: string;
	buildId: string;
	scriptSha256: string;
	owner: string;
	pid: number;
	startedAtMs: number;
	runId: string;
	exit: SessionExitInfo;
	output: OutputBuffer;
}

export class SessionManager {
	readonly running = new Map<string, Session>();
	readonly finished: (Session | PastSession)[] = [];
	readonly counters: Counters = { sessionsStarted: 0, loadsRefused: 0, outputRecords: 0, outputBytes: 0, droppedRecords: 0, droppedBytes: 0, subscribers: 0 };
	private reserved = 0;
	private leaseTimer: NodeJS.Timeout;
	readonly sessionsDir: string;
	readonly stagingDir: string;

	constructor(
		stateDir: string,
		private limits: SessionLimits,
		private journal: Journal,
		private log: Logger,
		private taprunPath: string,
	) {
		this.sessionsDir = join(stateDir, 'sessions');
		this.stagingDir = join(stateDir, 'staging');
		mkdirSync(this.sessionsDir, { recursive: true, mode: 0o700 });
		mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 });
		this.leaseTimer = setInterval(() => this.expireLeases(), 250);
		this.leaseTimer.unref();
	}

	/** Reserves a session slot before an upload is accepted; RESOURCE_EXHAUSTED when full. */
	reserve(): () => void {
		if (this.running.size + this.reserved >= this.limits.maxSessions) {
			throw resourceExhausted(`this agent already runs ${this.running.size} session(s) and ${this.reserved} load(s) in progress; its limit is ${this.limits.maxSessions}`);
		}
		this.reserved++;
		let released = false;
		return () => {
			if (!released) this.reserved--;
			released = true;
		};
	}

	start(mod: ReceivedModule, owner: string): Session {
		const id = `s-${randomBytes(6).toString('hex')}`;
		// The staged module directory becomes the session's (0700 as staged): one directory
		// created per session, not two (creating an inode is most of a mkdir's cost on ext4).
		const moduleDir = join(this.sessionsDir, id);
		renameSync(mod.dir, moduleDir);
		const o: SessionOptions = mod.options;
		const session = new Session(
			{
				id,
				manifest: mod.manifest,
				moduleDir,
				owner,
				leaseSeconds: o.leaseSeconds || this.limits.defaultLeaseSeconds,
				timeLimitSeconds: o.timeLimitSeconds,
				args: o.args,
				detach: o.detach,
				runId: o.runId,
				targetPid: o.targetPid,
				targetCommand: o.targetCommand,
				quietWarnings: o.quietWarnings,
				kernelBufferMib: o.kernelBufferMib,
				taprunPath: this.taprunPath,
				bufferLimits: this.limits.buffer,
				endGraceMs: endGraceFor(this.limits.endGraceMs, mod.manifest.probes),
			},
			(rec) => this.countRecord(rec),
		);
		this.running.set(id, session);
		this.counters.sessionsStarted++;
		this.journal.append({
			event: 'loaded',
			session: id,
			module: mod.manifest.name,
			buildId: mod.manifest.target.buildId,
			scriptSha256: mod.manifest.script.sha256,
			owner,
			pid: session.pid,
			startTime: session.startTime,
			detach: o.detach,
			leaseSeconds: session.spec.leaseSeconds,
			...(o.runId ? { runId: o.runId } : {}),
			...(o.targetPid ? { targetPid: o.targetPid } : {}),
			...(o.targetCommand ? { targetCommand: o.targetCommand } : {}),
		});
		this.log.info('session started', { session: id, module: mod.manifest.name, owner, pid: session.pid, signer: mod.signer });
		void session.whenFinished().then((exit) => this.onFinished(session, exit));
		return session;
	}

	get(id: string): Session | PastSession {
		const s = this.running.get(id) ?? this.finished.find((f) => (f instanceof Session ? f.spec.id : f.id) === id);
		if (!s) throw notFound(`no session ${JSON.stringify(id)} on this agent (running or recently finished)`);
		return s;
	}

	getRunning(id: string): Session {
		const s = this.get(id);
		if (!(s instanceof Session)) throw notFound(`session ${id} is no longer running`);
		return s;
	}

	/** Stops every session (end probes) when the agent itself stops. */
	async stopAll(reason: string): Promise<void> {
		clearInterval(this.leaseTimer);
		await Promise.all([...this.running.values()].map((s) => s.stop(false, reason)));
	}

	/**
	 * After a restart: every session the journal shows as loaded but never
	 * finished belongs to a previous agent process. Its output pipe died
	 * with that process, so it cannot be reattached; stop it (end probes,
	 * then kill) and record what was done. Then remove every kernel module
	 * a dead taprun left loaded (kmod runtime), and record that too.
	 */
	async reconcile(): Promise<void> {
		const orphans = this.journal.unfinished();
		const actions = new Map<string, string>();
		for (const e of orphans) {
			const action = e.pid > 0 && e.startTime ? await terminate(e.pid, e.startTime, this.limits.endGraceMs) : 'gone';
			this.journal.append({ event: 'reconciled', session: e.session, module: e.module, pid: e.pid, action, reason: 'agent restarted' });
			this.log.warn('reconciled a session left by a previous agent', { session: e.session, module: e.module, pid: e.pid, action });
			actions.set(e.session, action);
		}
		// Only now: a taprun that ended on SIGTERM unloaded its own module.
		const removed = await this.removeOrphanModules(orphans);
		for (const e of orphans) {
			const action = actions.get(e.session)!;
			const output = new OutputBuffer(this.limits.buffer);
			const exit = { exitCode: -1, signal: action === 'killed' ? 'SIGKILL' : action === 'terminated' ? 'SIGTERM' : '', reason: 'agent restarted' };
			const kernelModule = removed.get(e.session);
			output.append({ kind: 'stderr', data: Buffer.from(`tapfleet agent: the agent restarted; session ${e.session} (pid ${e.pid}) was ${action === 'gone' ? 'already gone' : action}${kernelModule ? `; ${kernelModule}` : ''}\n`) });
			output.append({ kind: 'exit', ...exit });
			this.remember({ id: e.session, module: e.module, buildId: e.buildId, scriptSha256: e.scriptSha256, owner: e.owner, pid: e.pid, startedAtMs: Date.parse(e.ts), runId: e.runId ?? '', exit, output });
		}
		// Whatever is left on disk belongs to nobody now.
		for (const dir of [this.sessionsDir, this.stagingDir]) {
			if (!existsSync(dir)) continue;
			for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
		}
	}

	/**
	 * Removes the tapfleet kernel modules whose loader is gone (a taprun
	 * killed with SIGKILL never unloads its module); a module whose loader
	 * lives belongs to a running session (another agent's, a local `tapfleet
	 * run`) and stays. Returns, per journal session, what became of its module.
	 */
	private async removeOrphanModules(orphans: { session: string; pid: number }[]): Promise<Map<string, string>> {
		const outcome = new Map<string, string>();
		for (const m of loadedTapfleetModules()) {
			if (m.owner === 0 || processStartTime(m.owner) !== undefined) continue;
			const session = orphans.find((e) => e.pid === m.owner)?.session ?? '';
			const reason = `its loader (taprun pid ${m.owner}) is gone${session ? `: session ${session} was left by a previous agent` : ' and no session owns it'}`;
			const error = await removeKernelModule(m.name);
			if (error === undefined) {
				this.journal.append({ event: 'reconciled-module', kernelModule: m.name, session, ownerPid: m.owner, action: 'removed', reason });
				this.log.warn('removed a kernel module no session owns', { kernelModule: m.name, session, ownerPid: m.owner });
				if (session) outcome.set(session, `its kernel module ${m.name} was left loaded and has been removed`);
			} else {
				this.journal.append({ event: 'reconciled-module', kernelModule: m.name, session, ownerPid: m.owner, action: 'remove failed', reason, error });
				this.log.error('cannot remove a kernel module no session owns', { kernelModule: m.name, session, ownerPid: m.owner, error });
				if (session) outcome.set(session, `its kernel module ${m.name} is still loaded: ${error}`);
			}
		}
		return outcome;
	}

	private countRecord(rec: BufferedRecord): void {
		this.counters.outputRecords++;
		this.counters.outputBytes += rec.size;
	}

	private onFinished(session: Session, exit: SessionExitInfo): void {
		this.running.delete(session.spec.id);
		this.journal.append({ event: 'finished', session: session.spec.id, reason: exit.reason, exitCode: exit.exitCode, signal: exit.signal });
		this.log.info('session finished', { session: session.spec.id, module: session.spec.manifest.name, ...exit });
		rmSync(join(this.sessionsDir, session.spec.id), { recursive: true, force: true });
		this.remember(session);
	}

	private remember(s: Session | PastSession): void {
		this.finished.push(s);
		while (this.finished.length > this.limits.finishedKept) this.finished.shift();
	}

	private expireLeases(): void {
		for (const s of this.running.values()) {
			if (s.leaseExpired) {
				this.log.warn('lease expired: running end probes and unloading', { session: s.spec.id, owner: s.spec.owner, leaseSeconds: s.spec.leaseSeconds });
				void s.stop(false, 'lease expired');
			}
		}
	}
}
