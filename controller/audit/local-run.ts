// The audit of a run that starts taprun itself (`tapfleet run -c CMD`,
// `-o FILE`: cli/commands/run-local.ts), recorded like a run through an
// agent: its compile, the write-ahead dispatch to `local:<hostname>`, the
// load (taprun's "started"), the end (how, output bytes and lines, drops),
// and the finish. Kept free of gRPC so that the local path loads none of it.
import { hostname } from 'node:os';
import { sha256Hex } from './event.js';
import { localIdentity } from './identity.js';
import { openRunLog } from './run-log.js';
// A local run's log is a SQLite file unless told otherwise, opened here: its code comes with this
// module's, not after it (a dynamic import then would wait for its turn behind the module lookup).
import './open.js';
import type { RunLog, RunRecording } from './run-log-api.js';
import type { CompileRecord, EndReason } from './types.js';

/** How long the records after the write-ahead one may wait to share a commit (see group-commit.ts). */
const RECORD_BATCH_MS = 100;

/** Why a run whose audit log cannot be opened does not load anything (the message every run path gives). */
export function notDispatching(openError: unknown): string {
	return `not dispatching: every run is recorded before anything is loaded, and the audit log cannot be opened: ${(openError as Error).message} (give --audit-db URL)`;
}

/** What the audit needs of a module's manifest (controller/module/manifest.ts). */
export interface ManifestFacts {
	runtime: string;
	target: { buildId: string; release: string };
	script: { text: string; sha256: string };
	tools: Record<string, string>;
}

/** The compile record of a module, from its manifest. */
export function compileRecordOf(who: string, moduleHash: string, m: ManifestFacts): CompileRecord {
	return {
		who,
		scriptText: m.script.text,
		scriptHash: m.script.sha256,
		moduleHash,
		targetBuildId: m.target.buildId,
		targetRelease: m.target.release,
		runtime: m.runtime,
		toolVersions: m.tools,
	};
}

/** What the module was, from its manifest. */
export interface LocalModule {
	manifestBytes: Buffer;
	manifest: ManifestFacts;
}

export interface LocalEnd {
	endedBy: EndReason;
	message?: string;
	outputBytes: number;
	outputLines: number;
	firstOutputAtMs?: number;
	dropped: number;
}

export class LocalRunAudit {
	readonly host = `local:${hostname()}`;
	private readonly who = localIdentity();
	private readonly log: Promise<RunLog>;
	private run?: RunRecording;
	private readonly writes: Promise<unknown>[] = [];

	/** Starts opening the log (`--audit-db`, else the default) and returns at once. */
	constructor(
		auditDb: string | undefined,
		private readonly options: Record<string, unknown>,
		private readonly warn: (text: string) => void,
	) {
		this.log = openRunLog(auditDb, { batchMs: RECORD_BATCH_MS, connections: 1 });
		this.log.catch(() => {}); // surfaced by begin()
	}

	/**
	 * The write-ahead record: the dispatch, committed and flushed before taprun
	 * starts. Throws "not dispatching: ..." when the log cannot be opened or
	 * written; the caller must then not start taprun. `compiled`: record the
	 * compile too (after the dispatch, off the path to the load).
	 */
	async begin(mod: LocalModule | { scriptText: string }, compiled: boolean): Promise<void> {
		let log: RunLog;
		try {
			log = await this.log;
		} catch (err) {
			throw new Error(notDispatching(err));
		}
		const m = 'manifest' in mod ? mod.manifest : undefined;
		const scriptText = m ? m.script.text : (mod as { scriptText: string }).scriptText;
		const moduleHash = 'manifestBytes' in mod ? sha256Hex(mod.manifestBytes) : 'none';
		try {
			this.run = await log.beginDispatch({
				who: this.who,
				hosts: [this.host],
				moduleHash,
				scriptText,
				...(m ? { scriptHash: m.script.sha256 } : {}),
				options: this.options,
			});
		} catch (err) {
			throw new Error(`not dispatching: the audit log could not record this run, so nothing is loaded: ${(err as Error).message}`);
		}
		this.track(log.afterWriteAhead([], Date.now()).recovered);
		if (m && compiled) this.track(log.recordCompile(compileRecordOf(this.who, moduleHash, m)));
	}

	private track(write: Promise<unknown>): void {
		write.catch(() => {}); // reported by finish()
		this.writes.push(write);
	}

	/** taprun attached every probe: the module is loaded (committed at once). */
	loaded(sessionId: string, loadedAtMs = Date.now()): void {
		if (this.run) this.track(this.run.hostLoaded(this.host, { sessionId, loadedAtMs }));
	}

	ended(end: LocalEnd): void {
		if (this.run) this.track(this.run.hostEnded(this.host, end));
	}

	/** Writes what is left and the finish, then closes the log. */
	async finish(): Promise<void> {
		let log: RunLog;
		try {
			log = await this.log;
		} catch {
			return; // begin() said why
		}
		try {
			if (this.run) {
				const finished = this.run.finish();
				void log.endBatching();
				const results = await Promise.allSettled([...this.writes, finished]);
				for (const r of results) if (r.status === 'rejected') this.warn(`audit: a record of run ${this.run.runId} was not written: ${(r.reason as Error).message}`);
			}
		} finally {
			await log.close().catch(() => {});
		}
	}
}
