// Pass 5: one module (one per kernel build-id) on many hosts at once. Every
// host is asked for its info in parallel; hosts are grouped by build-id and
// each group gets the module built for it; a host whose build-id differs
// from its module's is refused here, before anything is sent. Each host
// then loads, streams and unloads on its own: one failing host never stops
// the others.
import type { KeyObject } from 'node:crypto';
import type { ClientTls } from '../pki/credentials.js';
import type { HostInfo, SessionExit, SessionOptions } from '../../proto/gen/tapfleet/v1/agent.js';
import { AgentClient, describeError, type LoadedSession, type ModuleUpload } from './agent-client.js';
import { followSession } from './follow.js';
import type { HostUri } from './host-uri.js';
import { signedUpload, type ModuleOnDisk } from './module-dir.js';
import { describeExit, type OutputSink } from './output-sink.js';
import type { DispatchAuditHooks } from './run-audit.js';

/** How long after -T a host may take to stop by itself before the controller unloads it. */
export const TIME_LIMIT_GRACE_S = 15;

export type HostStage = 'connecting' | 'compiling' | 'loading' | 'running' | 'stopping' | 'done' | 'failed';

export interface HostOutcome {
	host: string;
	buildId?: string;
	sessionId?: string;
	exit?: SessionExit;
	/** Why this host did not run the script to its end. */
	error?: string;
	droppedRecords: bigint;
	reconnects: number;
}

export interface DispatchOptions {
	hosts: HostUri[];
	tls?: ClientTls;
	signingKey: KeyObject;
	/** The module for a kernel build; called once per distinct build-id, with the first host of that build. */
	moduleFor(buildId: string, info: HostInfo, client: AgentClient): Promise<ModuleOnDisk>;
	session: SessionOptions;
	sink: OutputSink;
	onStage?: (host: string, stage: HostStage) => void;
	/** How long a broken stream may take to resume. */
	reconnectWindowMs?: number;
	/** The central audit log's per-host records (run-audit.ts). */
	audit?: DispatchAuditHooks;
}

export function buildIdMismatch(host: string, hostInfo: HostInfo, mod: ModuleOnDisk): string {
	return (
		`Build-id mismatch: host "${host}" runs kernel build-id ${hostInfo.buildId} (${hostInfo.kernelRelease}), ` +
		`but module "${mod.manifest.name}" was built for build-id ${mod.manifest.target.buildId} (${mod.manifest.target.release}); ` +
		`compile the script for this host's kernel (its profile) and dispatch again`
	);
}

export class Dispatch {
	private clients: AgentClient[];
	private sessions = new Map<string, { client: AgentClient; sessionId: string }>();
	private unloading: 'no' | 'polite' | 'forced' = 'no';
	private reportedBuildIds = new Set<string>();
	private uploads = new WeakMap<ModuleOnDisk, ModuleUpload>();
	readonly done: Promise<HostOutcome[]>;

	constructor(private opts: DispatchOptions) {
		this.clients = opts.hosts.map((h) => new AgentClient(h, opts.tls));
		const modules = new Map<string, Promise<ModuleOnDisk>>();
		const moduleFor = (info: HostInfo, client: AgentClient) => {
			let m = modules.get(info.buildId);
			if (!m) modules.set(info.buildId, (m = opts.moduleFor(info.buildId, info, client)));
			return m;
		};
		this.done = Promise.all(this.clients.map((c) => this.runHost(c, moduleFor))).finally(() => {
			for (const c of this.clients) c.close();
		});
	}

	/** One signature per module, however many hosts receive it. */
	private uploadFor(mod: ModuleOnDisk): ModuleUpload {
		let upload = this.uploads.get(mod);
		if (!upload) this.uploads.set(mod, (upload = signedUpload(mod, this.opts.signingKey)));
		return upload;
	}

	/** Stops every session: end probes first, or at once when forced. Sessions still loading are stopped once loaded. */
	async unloadAll(force: boolean): Promise<void> {
		this.unloading = force ? 'forced' : 'polite';
		await Promise.all(
			[...this.sessions.entries()].map(async ([host, { client, sessionId }]) => {
				this.opts.onStage?.(host, 'stopping');
				try {
					await client.unload(sessionId, force);
				} catch (err) {
					this.opts.sink.note(host, `unload of ${sessionId} failed: ${describeError(err)}`);
				}
			}),
		);
	}

	private async runHost(client: AgentClient, moduleFor: (info: HostInfo, client: AgentClient) => Promise<ModuleOnDisk>): Promise<HostOutcome> {
		const host = client.host.label;
		const outcome: HostOutcome = { host, droppedRecords: 0n, reconnects: 0 };
		const stage = (s: HostStage) => this.opts.onStage?.(host, s);
		const fail = (error: string, cause?: unknown) => {
			outcome.error = error;
			this.opts.audit?.hostFailed(host, error);
			stage('failed');
			this.opts.sink.note(host, error, cause);
			return outcome;
		};
		stage('connecting');
		let info: HostInfo;
		try {
			info = await client.hostInfo();
		} catch (err) {
			return fail(`cannot reach the agent: ${describeError(err)}`);
		}
		outcome.buildId = info.buildId;
		this.opts.audit?.hostReached(host, client);
		if (this.unloading !== 'no') return fail('not loaded: the run was interrupted');
		stage('compiling');
		let mod: ModuleOnDisk;
		try {
			mod = await moduleFor(info, client);
		} catch (err) {
			// Hosts of one build-id share one compile: say why in full once, then refer to it.
			if (this.reportedBuildIds.has(info.buildId)) return fail(`no module for build-id ${info.buildId} (see above)`);
			this.reportedBuildIds.add(info.buildId);
			return fail(`no module for build-id ${info.buildId}: ${(err as Error).message}`, err);
		}
		if (mod.manifest.target.buildId !== info.buildId) return fail(buildIdMismatch(host, info, mod));
		// an agent from before -c would ignore the command and run a session that nothing ends
		if (this.opts.session.targetCommand && !info.features.includes('target-command')) {
			return fail(`not loaded: this agent (version ${info.agentVersion || 'unknown'}) cannot run a target command (-c); upgrade it`);
		}
		if (this.unloading !== 'no') return fail('not loaded: the run was interrupted');
		stage('loading');
		let sessionId: string;
		let records: LoadedSession['records'];
		try {
			// Detached: nobody follows here. Otherwise the load's call carries the output too, where the agent can.
			if (this.opts.session.detach) sessionId = (await client.load(this.uploadFor(mod), this.opts.session)).sessionId;
			else ({ sessionId, records } = await client.loadToFollow(this.uploadFor(mod), this.opts.session));
		} catch (err) {
			this.opts.audit?.hostLoadError(host, err);
			return fail(`load refused: ${describeError(err)}`);
		}
		outcome.sessionId = sessionId;
		this.opts.audit?.hostLoaded(host, sessionId);
		this.sessions.set(host, { client, sessionId });
		// Interrupted while this host was loading: stop it as the others were.
		if (this.unloading !== 'no') void client.unload(sessionId, this.unloading === 'forced').catch(() => {});
		// (nothing awaited from the load to here: the records' stream gets its listeners before any I/O event)
		if (this.opts.session.detach) {
			// Detached: the session runs on without us; `tapfleet attach` follows it later.
			this.sessions.delete(host);
			stage('done');
			return outcome;
		}
		stage('running');
		const follower = followSession(client, sessionId, this.opts.sink, {
			holdLease: !this.opts.session.detach,
			fromSeq: 0n,
			firstStream: records,
			agentReached: true,
			onRecord: (rec) => this.opts.audit?.hostOutput(host, rec),
			reconnectWindowMs: this.opts.reconnectWindowMs ?? Math.max(10_000, (this.opts.session.leaseSeconds || 30) * 1000),
		});
		// -T bounds the run, not only taprun: a host that has not stopped well after its limit is unloaded.
		const limit = this.opts.session.timeLimitSeconds;
		const guard = limit > 0 ? setTimeout(() => void client.unload(sessionId, false).catch(() => {}), (limit + TIME_LIMIT_GRACE_S) * 1000) : undefined;
		const followed = await follower.done;
		if (guard) clearTimeout(guard);
		this.sessions.delete(host);
		outcome.exit = followed.exit;
		outcome.droppedRecords = followed.droppedRecords;
		outcome.reconnects = followed.reconnects;
		this.opts.audit?.hostFollowed(host, followed);
		if (followed.error) return fail(`session ${sessionId}: ${followed.error}`);
		stage('done');
		if (followed.exit && (followed.exit.exitCode !== 0 || followed.exit.signal)) this.opts.sink.note(host, describeExit(followed.exit));
		return outcome;
	}
}

/** Exit status of a run: 0 all good; 1 script errors or every host failed; 3 some hosts failed. */
export function runExitStatus(outcomes: HostOutcome[]): number {
	const failed = outcomes.filter((o) => o.error).length;
	if (outcomes.length > 0 && failed === outcomes.length) return 1;
	if (failed > 0) return 3;
	return outcomes.some((o) => o.exit && (o.exit.exitCode !== 0 || o.exit.signal)) ? 1 : 0;
}
