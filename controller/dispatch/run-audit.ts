// The audit side of `tapfleet run`: everything the dispatch records in the
// central audit log (controller/audit), kept here so that fanout.ts and
// run.ts only call a hook per event.
//
// Write-ahead: the run's dispatch record is committed when its first module
// is ready, inside the module source that fanout awaits before any Load, so
// no host can load anything the log does not already hold. If the record
// cannot be written, the module source fails and nothing is loaded.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
// The audit's light modules only: through the audit keeper, a run loads none of the code that writes the log.
import { endReasonFromAgent, journalFromSessions } from '../audit/agent-journal.js';
import { identityFromCertificate, localIdentity } from '../audit/identity.js';
import { newRunId } from '../audit/run-id.js';
import type { RunLog, RunRecording } from '../audit/run-log-api.js';
import type { CompileRecord, EndReason, RefusalReason } from '../audit/types.js';
import { compileRecordOf, notDispatching } from '../audit/local-run.js';
import { openRunAuditLog } from '../audit/run-log.js';
import type { HostInfo, OutputRecord, SessionExit, SessionInfo } from '../../proto/gen/tapfleet/v1/agent.js';
import { OutputStream } from '../../proto/gen/tapfleet/v1/agent.js';
import type { ClientTls } from '../pki/credentials.js';
import { sha256Hex } from '../module/sign.js';
import { AgentClient } from './agent-client.js';
import type { FollowResult } from './follow.js';
import type { HostUri } from './host-uri.js';
import type { ModuleOnDisk } from './module-dir.js';


/** What fanout.ts reports per host; the labels are the hosts' command-line labels. */
export interface DispatchAuditHooks {
	/** The host answered: its sessions (earlier runs' loads and unloads) are imported over this connection. */
	hostReached(host: string, client: AgentClient): void;
	/** The agent refused (or failed) the Load: kept to classify the failure that follows. */
	hostLoadError(host: string, err: unknown): void;
	hostLoaded(host: string, sessionId: string): void;
	hostOutput(host: string, rec: OutputRecord): void;
	/** Following the session ended (with its exit record, or an error). */
	hostFollowed(host: string, followed: FollowResult): void;
	/** The host did not run the script to its end (any reason fanout gives). */
	hostFailed(host: string, error: string): void;
}

export type ModuleSource = (buildId: string, info: HostInfo, client: AgentClient) => Promise<ModuleOnDisk>;

export interface RunAuditOptions {
	/** --audit-db; undefined = $TAPFLEET_AUDIT_DB or the default SQLite file. */
	auditDb?: string;
	hosts: HostUri[];
	/** The embedded local agent's label: recorded as `local:<hostname>`. */
	embeddedLabel?: string;
	tls?: ClientTls;
	/** false for --module: nothing was compiled by this run. */
	compiles: boolean;
	options: Record<string, unknown>;
	/** The script file (or -e text) given: recorded for a run that fails before any module exists. */
	script: { file?: string; text?: string };
	warn(text: string): void;
	/** Says that the run is refused (the log cannot be opened), once. */
	refuse(text: string): void;
}

interface HostState {
	sessionId?: string;
	firstOutputAtMs?: number;
	bytes: number;
	lines: number;
	/** The output so far ends inside a line. */
	midLine?: boolean;
	loadError?: unknown;
	ended: boolean;
}

/** What an agent's refusal of a Load was, from its gRPC status (agent/upload.ts, agent/auth.ts). */
export function refusalOfLoadError(err: unknown): RefusalReason | undefined {
	const e = err as { code?: number; details?: string };
	const details = e?.details ?? '';
	if (e?.code === status.PERMISSION_DENIED) return /^identity .* may not /.test(details) ? 'unauthorised-client' : 'bad-signature';
	if (e?.code === status.UNAUTHENTICATED) return 'unauthorised-client';
	if (e?.code === status.FAILED_PRECONDITION && /build-id/i.test(details)) return 'build-id-mismatch';
	return undefined;
}

/** The last certificate's identity: parsing it cost ~0.5 ms, on every run of a controller that runs many. */
let lastIdentity: { cert: ClientTls['cert']; who: string } | undefined;

/** Who runs this: the client certificate's identity for mTLS hosts, else the local user. */
export function runIdentity(tls: ClientTls | undefined): string {
	if (!tls) return localIdentity();
	if (lastIdentity?.cert === tls.cert) return lastIdentity.who;
	const cn = /^CN=(.*)$/m.exec(new X509Certificate(tls.cert).subject)?.[1];
	const who = cn ? identityFromCertificate(cn) : localIdentity();
	lastIdentity = { cert: tls.cert, who };
	return who;
}

/**
 * The sessions no controller records itself, so only an import of the
 * agent's word puts them in the log: loads without a run id (not made by a
 * recording controller), and ends by lease expiry or agent restart (the
 * controller was gone, or the session was cut from under it). Importing
 * only these keeps the import small (it costs a query per session): the
 * agent keeps many finished sessions, and a controller recorded the others.
 */
export function notRecordedByItsController(s: SessionInfo): boolean {
	return !s.runId || (s.state === 'finished' && (s.exit?.reason === 'lease expired' || s.exit?.reason === 'agent restarted'));
}

function scriptTextGiven(script: RunAuditOptions['script']): string {
	if (script.text !== undefined) return script.text;
	try {
		return script.file ? readFileSync(script.file, 'utf8') : '';
	} catch {
		return '';
	}
}

function countNewlines(text: string): number {
	let n = 0;
	for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
	return n;
}

export class RunAudit implements DispatchAuditHooks {
	readonly runId = newRunId();
	private readonly who: string;
	private readonly names = new Map<string, string>();
	private readonly state = new Map<string, HostState>();
	private begun?: Promise<RunRecording>;
	/** Hosts whose agent journals this run imports (decided after the write-ahead record). */
	private importsDue?: Promise<Set<string>>;
	/** Settles with the run's recorder once the write-ahead record is attempted: host records made earlier wait for it. */
	private readonly ready: Promise<RunRecording>;
	private setReady!: (run: Promise<RunRecording>) => void;
	private readonly writes: Promise<unknown>[] = [];
	private interrupted = false;

	/** The log being opened: opening overlaps the dispatch's start (connecting, Hello); the write-ahead record waits for it. */
	private readonly log: Promise<RunLog>;
	private readonly failedToOpen: Promise<void>;
	/** Settles when the log is open or could not be (for benchmarks: how long opening takes). */
	readonly opened: Promise<void>;

	private constructor(
		log: Promise<RunLog>,
		private readonly o: RunAuditOptions,
	) {
		this.log = log;
		this.opened = log.then(
			() => {},
			() => {}, // reported once, by failedToOpen
		);
		this.failedToOpen = log.then(
			() => {},
			(err) => {
				o.refuse(notDispatching(err));
			},
		);
		this.who = runIdentity(o.tls);
		this.ready = new Promise((resolve) => (this.setReady = resolve));
		this.ready.catch(() => {});
		for (const h of o.hosts) {
			this.names.set(h.label, h.label === o.embeddedLabel ? `local:${hostname()}` : h.label);
			this.state.set(h.label, { bytes: 0, lines: 0, ended: false });
		}
	}

	/**
	 * The run's audit, over the log being opened (`log`: from
	 * openRunAuditLog, started as early as the run could; else opened now);
	 * returns at once. A log that cannot be opened refuses the run (o.refuse,
	 * once) and fails every host's module source, so nothing is loaded.
	 */
	static open(o: RunAuditOptions, log: Promise<RunLog> = openRunAuditLog(o.auditDb)): RunAudit {
		return new RunAudit(log, o);
	}

	private hostName(label: string): string {
		return this.names.get(label) ?? label;
	}

	private host(label: string): HostState {
		return this.state.get(label)!;
	}

	/** Records an audit write made while the run goes on (off the run's critical path); awaited in finish(). */
	private track(write: Promise<unknown> | ((run: RunRecording) => Promise<unknown>)): void {
		const p = typeof write === 'function' ? this.ready.then(write) : write;
		p.catch(() => {}); // reported by finish(), not as an unhandled rejection
		this.writes.push(p);
	}

	/** The write-ahead dispatch record, once, with the first module of the run (and its compile record, if this run compiled it). */
	private begin(moduleHash: string, scriptText: string, scriptHash?: string, compile?: CompileRecord): Promise<RunRecording> {
		this.begun ??= this.writeAhead(moduleHash, scriptText, scriptHash, compile);
		this.setReady(this.begun);
		return this.begun;
	}

	private async writeAhead(moduleHash: string, scriptText: string, scriptHash?: string, compile?: CompileRecord): Promise<RunRecording> {
		const log = await this.log;
		// Made in the same turn as the write-ahead record, so it joins that commit
		// (group-commit.ts): the compile precedes the dispatch in the chain, and no
		// commit of its own starts the run's batch timer, whose commit then tended
		// to be in flight as the run ended and delay its last records.
		if (compile) this.track(log.recordCompile(compile));
		const run = await log.beginDispatch({
			runId: this.runId,
			who: this.who,
			hosts: this.o.hosts.map((h) => this.hostName(h.label)),
			moduleHash,
			scriptText,
			...(scriptHash ? { scriptHash } : {}),
			options: this.o.options,
		});
		// Off the run's path, after the write-ahead record (not queued before it on the
		// log's connection), and after the Loads it lets go out (a timer: not before
		// the hosts' Load calls made on this turn; SQLite reads on the event loop, and a
		// PostgreSQL query written first woke the server as they went out): which
		// hosts' journals to import, and runs whose controller on this machine died,
		// marked interrupted.
		const now = Date.now();
		const hosts = this.remoteHostNames();
		const after = new Promise((loadsSent) => setTimeout(loadsSent, 0)).then(() => log.afterWriteAhead(hosts, now)); // one read for both
		this.importsDue = after.then((a) => a.importsDue);
		this.importsDue.catch(() => {}); // reported by the imports that await it
		this.track(after.then((a) => a.recovered));
		return run;
	}

	private beginWith(mod: ModuleOnDisk): Promise<RunRecording> {
		const moduleHash = sha256Hex(mod.manifestBytes);
		const m = mod.manifest;
		return this.begin(moduleHash, m.script.text, m.script.sha256, this.o.compiles ? compileRecordOf(this.who, moduleHash, m) : undefined);
	}

	/** The hosts reached through an agent of their own (the embedded agent's sessions are this run's only). */
	private remoteHostNames(): string[] {
		return this.o.hosts.filter((h) => h.label !== this.o.embeddedLabel).map((h) => this.hostName(h.label));
	}

	/**
	 * Starts the write-ahead record now, for a module known before any host
	 * asks for one (a prebuilt --module, or this host's script compiled or
	 * found in the cache): it is then committed while the hosts are being
	 * connected, instead of holding up the first Load. The hosts' module
	 * sources still wait for it (and fail if it cannot be written).
	 */
	writeAheadFor(mod: ModuleOnDisk): void {
		(this.begun ?? this.beginWith(mod)).catch(() => {}); // reported by each host's module source
	}

	/** The module source with its compile recorded and the run's write-ahead record committed before it returns. */
	moduleSource(source: ModuleSource): ModuleSource {
		return async (buildId, info, client) => {
			const mod = await source(buildId, info, client);
			try {
				// The first module makes the record; every host's source awaits it (its hash is computed once, not per host).
				await (this.begun ?? this.beginWith(mod));
			} catch (err) {
				if (await this.log.then(() => false, () => true)) throw new Error('not loaded: the audit log cannot be opened (see above)');
				throw new Error(`the audit log could not record this run, so nothing is loaded: ${(err as Error).message}`);
			}
			return mod;
		};
	}

	/** Ctrl-C (or SIGTERM): sessions that end by the unload that follows ended by interrupt. */
	userInterrupted(): void {
		this.interrupted = true;
	}

	hostLoadError(host: string, err: unknown): void {
		this.host(host).loadError = err;
	}

	hostLoaded(host: string, sessionId: string): void {
		this.host(host).sessionId = sessionId;
		const loadedAtMs = Date.now();
		this.track((run) => run.hostLoaded(this.hostName(host), { sessionId, loadedAtMs }));
	}

	hostOutput(host: string, rec: OutputRecord): void {
		if (!rec.text || rec.text.stream !== OutputStream.OUTPUT_STREAM_STDOUT) return;
		const h = this.host(host);
		h.firstOutputAtMs ??= Date.now();
		h.bytes += rec.text.data.length;
		// a record may hold part of a line (the agent sends a line's start that waited): lines are newlines,
		// and one more if the output ends without one
		const text = rec.text.data.toString('latin1');
		h.lines += countNewlines(text);
		if (text.length > 0) h.midLine = !text.endsWith('\n');
	}

	private endedBy(exit: SessionExit): EndReason {
		const reason = endReasonFromAgent(exit.reason);
		return reason === 'unload' && this.interrupted ? 'interrupt' : reason;
	}

	private recordEnd(host: string, endedBy: EndReason, dropped: number, message?: string): void {
		const h = this.host(host);
		if (h.ended) return;
		h.ended = true;
		const ended = { endedBy, dropped, outputBytes: h.bytes, outputLines: h.lines + (h.midLine ? 1 : 0), unloadedAtMs: Date.now(), firstOutputAtMs: h.firstOutputAtMs, message };
		this.track((run) => run.hostEnded(this.hostName(host), ended));
	}

	hostFollowed(host: string, followed: FollowResult): void {
		const dropped = Number(followed.droppedRecords);
		const exit = followed.exit;
		if (!exit) return this.recordEnd(host, 'error', dropped, followed.error ?? 'the session ended without an exit record');
		const abnormal = exit.exitCode !== 0 || exit.signal !== '';
		this.recordEnd(host, this.endedBy(exit), dropped, abnormal ? `${exit.reason}: exit status ${exit.exitCode}${exit.signal ? `, ${exit.signal}` : ''}` : undefined);
	}

	hostFailed(host: string, error: string): void {
		const h = this.host(host);
		if (h.ended) return;
		// Refusals: the controller's build-id check (fanout's buildIdMismatch), or the agent's answer to the Load.
		const refusal = error.startsWith('Build-id mismatch') ? 'build-id-mismatch' : h.sessionId ? undefined : refusalOfLoadError(h.loadError);
		if (this.interrupted && !h.sessionId) return this.recordEnd(host, 'interrupt', 0, error);
		if (refusal) {
			h.ended = true;
			this.track((run) => run.hostRefused(this.hostName(host), refusal, error));
			return;
		}
		this.recordEnd(host, 'error', 0, error);
	}

	/**
	 * Completes the run's record: waits for every write (including the
	 * import of each reached host's sessions, which brings in loads and
	 * unloads this controller did not see, e.g. a lease expiry after a crashed
	 * run), records a run that failed before any module existed, and marks the
	 * run finished.
	 */
	async finish(): Promise<void> {
		let log: RunLog;
		try {
			log = await this.log;
		} catch {
			return this.failedToOpen; // said once already; nothing was loaded
		}
		try {
			if (!this.begun) {
				// No module was ever ready: nothing was loaded, but the run and why each host failed are recorded.
				await this.begin('none', scriptTextGiven(this.o.script));
				for (const h of this.o.hosts) this.recordEnd(h.label, 'error', 0, 'not loaded: no module');
			}
			// Queued behind the last hosts' records, so that they usually share one commit.
			const finished = this.ready.then((run) => run.finish());
			finished.catch(() => {}); // awaited below, after the other records
			void log.endBatching();
			const results = await Promise.allSettled(this.writes);
			for (const r of results) if (r.status === 'rejected') this.o.warn(`audit: a record of run ${this.runId} was not written: ${(r.reason as Error).message}`);
			await finished;
		} catch (err) {
			this.o.warn(`audit: run ${this.runId} could not be completed in the audit log: ${(err as Error).message}`);
		} finally {
			await log.close().catch(() => {});
		}
	}

	hostReached(host: string, client: AgentClient): void {
		if (host === this.o.embeddedLabel) return; // its sessions are this run's only
		this.track(this.importJournal(host, client));
	}

	/**
	 * Imports the sessions of the host's agent that no controller records
	 * itself, when the log says that host is due (controller/audit: at most
	 * once a minute, and whenever an interrupted run there still lacks its
	 * end). Over the dispatch's own connection; if the dispatch has closed it
	 * already (a short run), over a new one.
	 */
	private async importJournal(host: string, client: AgentClient): Promise<void> {
		const log = await this.log;
		await this.ready;
		const name = this.hostName(host);
		if (!(await this.importsDue)?.has(name)) return;
		const sessions = await client.listSessions().catch(async () => {
			// A new connection takes its mTLS handshake again: with the usual deadline, which a loaded machine may need.
			const fresh = new AgentClient(client.host, this.o.tls);
			try {
				return await fresh.listSessions();
			} catch {
				return undefined; // an agent that will not list its sessions: its journal waits for a later run
			} finally {
				fresh.close();
			}
		});
		if (!sessions) return;
		await log.importAgentJournal(name, journalFromSessions(sessions.filter(notRecordedByItsController)));
		await log.noteJournalImports([name]);
	}
}

/** `tapfleet run`'s audit, from its command-line options and resolved hosts, over the log `log` being opened (default: opened now). */
export function openRunAudit(
	cli: { auditDb?: string; module?: string; e?: string; runtime?: string; detach?: boolean },
	run: { script?: string; args: string[]; leaseSeconds: number; timeLimitSeconds: number; targetPid?: number; command?: string; output?: string; hosts: HostUri[]; embeddedLabel?: string; tls?: ClientTls },
	log?: Promise<RunLog>,
): Promise<RunAudit> {
	return Promise.resolve(RunAudit.open({
		auditDb: cli.auditDb,
		hosts: run.hosts,
		embeddedLabel: run.embeddedLabel,
		tls: run.tls,
		compiles: !cli.module,
		options: {
			args: run.args,
			leaseSeconds: run.leaseSeconds,
			timeLimitSeconds: run.timeLimitSeconds,
			detach: !!cli.detach,
			...(run.targetPid ? { targetPid: run.targetPid } : {}),
			...(run.command !== undefined ? { command: run.command } : {}),
			...(run.output !== undefined ? { output: run.output } : {}),
			...(cli.module ? { module: cli.module } : { runtime: cli.runtime ?? 'auto' }),
		},
		script: cli.e !== undefined ? { text: cli.e } : { file: run.script },
		warn: (text) => process.stderr.write(`tapfleet: ${text}\n`),
		refuse: (text) => process.stderr.write(`tapfleet run: ${text}\n`),
	}, log));
}
