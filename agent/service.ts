// The AgentService handlers: each call is authorised, logged as one JSON
// line, and answered with a status that says what was wrong.
import type { sendUnaryData, ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { loadavg } from 'node:os';
import type { Right } from '../controller/pki/identity.js';
import type {
	AgentServiceServer,
	GetHostInfoRequest,
	GetHostInfoResponse,
	GetKernelProfileRequest,
	GetKernelProfileResponse,
	ListSessionsRequest,
	LoadAndStreamResponse,
	ListSessionsResponse,
	LoadRequest,
	LoadResponse,
	RenewLeaseRequest,
	RenewLeaseResponse,
	StreamOutputRequest,
	StreamOutputResponse,
	UnloadRequest,
	UnloadResponse,
} from '../proto/gen/tapfleet/v1/agent.js';
import { callerOf, requireRight, type Caller, type CallWithAuth, type Policy, type Transport } from './auth.js';
import type { HostFacts } from './host-facts.js';
import type { Journal } from './journal.js';
import { chunks, localProfileBytes } from './kernel-profile.js';
import type { Logger } from './log.js';
import { toOutputRecord, toSessionExit, toSessionInfo } from './records.js';
import { Session } from './session.js';
import type { PastSession, SessionManager } from './sessions.js';
import { failedPrecondition, invalidArgument, StatusError, statusName, toServiceError } from './status.js';
import { streamRecords, type RecordWriter } from './subscriber.js';
import { checkHeader, StagedModule, type UploadContext } from './upload.js';

export interface ServiceContext {
	transport: Transport;
	policy: Policy;
	facts: HostFacts;
	agentName: string;
	agentVersion: string;
	runtimeVersion: string;
	upload: UploadContext;
	sessions: SessionManager;
	journal: Journal;
	log: Logger;
	startedAt: number;
}

const SESSION_ID_RE = /^s-[0-9a-f]{12}$/;
/** HostInfo.features: what controllers may check before relying on it. */
export const AGENT_FEATURES = ['target-command'] as const;

/** The agent's RSS for host info, read from /proc at most once a second: every run asks each host for its info. */
let rssSample = { atMs: 0, bytes: 0 };
function residentBytes(): number {
	const now = Date.now();
	if (now - rssSample.atMs >= 1000) rssSample = { atMs: now, bytes: process.memoryUsage.rss() };
	return rssSample.bytes;
}

export function agentService(ctx: ServiceContext): AgentServiceServer {
	const { sessions, log } = ctx;

	/** Runs a handler: authorise, log, map errors to statuses. */
	async function handle<T>(method: string, call: CallWithAuth & { getPeer(): string }, right: Right, what: string, work: (caller: Caller) => Promise<T>, fields: Record<string, unknown> = {}): Promise<T> {
		const t0 = Date.now();
		const caller = callerOf(call, ctx.transport, ctx.policy);
		try {
			requireRight(caller, right, what);
			const result = await work(caller);
			log.info('request', { method, identity: caller.identity, peer: call.getPeer(), status: 'OK', ms: Date.now() - t0, ...fields });
			return result;
		} catch (err) {
			const code = err instanceof StatusError ? statusName(err.code) : 'INTERNAL';
			log.warn('request refused', { method, identity: caller.identity, peer: call.getPeer(), status: code, reason: (err as Error).message, ms: Date.now() - t0, ...fields });
			throw err;
		}
	}

	function unary<Req, Res>(method: string, right: Right, what: string, work: (req: Req, caller: Caller) => Promise<Res>) {
		return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
			handle(method, call, right, what, (caller) => work(call.request, caller), requestFields(call.request)).then(
				(res) => callback(null, res),
				(err) => callback(toServiceError(err)),
			);
		};
	}

	function checkSessionId(id: string): string {
		if (!SESSION_ID_RE.test(id)) throw invalidArgument(`bad session id ${JSON.stringify(id)} (expected s- and 12 hex digits)`);
		return id;
	}

	/**
	 * A Load's messages: the header checked in full before any file byte is
	 * accepted, the files staged and verified, then the session started.
	 * A refusal is counted and journalled, and leaves nothing behind.
	 */
	async function receiveModule(messages: AsyncIterable<LoadRequest>, caller: Caller): Promise<Session> {
		let moduleName = '';
		let release: (() => void) | undefined;
		let staged: StagedModule | undefined;
		try {
			let received: ReturnType<typeof checkHeader> | undefined;
			for await (const msg of messages) {
				if (!received) {
					received = checkHeader(msg.header, ctx.upload);
					moduleName = received.manifest.name;
					if (received.manifest.runsCommands) requireRight(caller, 'commands', `load module "${moduleName}" (its script runs shell commands with system())`);
					if (received.manifest.guru) requireRight(caller, 'guru', `load module "${moduleName}" (its script changes the kernel in guru mode: it writes target variables or embeds C)`);
					if (received.options.targetCommand) requireRight(caller, 'commands', `run a target command (-c) with module "${moduleName}"`);
					release = sessions.reserve();
					staged = new StagedModule(received.manifest, Buffer.from(msg.header!.manifest), ctx.upload.stagingRoot);
					continue;
				}
				if (msg.header) throw invalidArgument('a second header in one Load');
				if (!msg.chunk) throw invalidArgument('an empty Load message');
				staged!.addChunk(msg.chunk.name, Buffer.from(msg.chunk.data));
			}
			if (!received || !staged) throw invalidArgument('Load ended before its header');
			staged.finish();
			const session = sessions.start({ manifest: received.manifest, dir: staged.dir, options: received.options, signer: received.signer }, caller.identity);
			staged = undefined;
			return session;
		} catch (err) {
			staged?.discard();
			sessions.counters.loadsRefused++;
			if (err instanceof StatusError) ctx.journal.append({ event: 'refused', owner: caller.identity, module: moduleName, code: statusName(err.code), reason: err.message });
			throw err;
		} finally {
			release?.();
		}
	}

	function loadResponse(session: Session): LoadResponse {
		return { sessionId: session.spec.id, moduleName: session.spec.manifest.name, leaseSeconds: session.spec.leaseSeconds };
	}

	/** Sends a session's records from `fromSeq` to one subscriber, which may keep the session's lease alive. */
	async function subscribe(call: RecordWriter, s: Session | PastSession, fromSeq: number, holdLease: boolean): Promise<void> {
		const holds = holdLease && s instanceof Session;
		if (holds) s.leaseHolders++;
		sessions.counters.subscribers++;
		try {
			await streamRecords(call, s.output, fromSeq, (gap) => {
				sessions.counters.droppedRecords += gap.records;
				sessions.counters.droppedBytes += gap.bytes;
				if (s instanceof Session) s.droppedRecords += gap.records;
			});
		} finally {
			sessions.counters.subscribers--;
			if (holds) {
				s.leaseHolders--;
				s.lastContact = Date.now();
			}
		}
	}

	const service: AgentServiceServer = {
		getHostInfo: unary<GetHostInfoRequest, GetHostInfoResponse>('GetHostInfo', 'observe', 'read host info', async (_req, caller) => {
			const c = sessions.counters;
			return {
				host: {
					hostname: ctx.facts.hostname,
					kernelRelease: ctx.facts.release,
					arch: ctx.facts.arch,
					buildId: ctx.facts.buildId,
					runtimes: ctx.upload.runtimes,
					agentVersion: ctx.agentVersion,
					runtimeVersion: ctx.runtimeVersion,
					loadAverage: loadavg(),
					counters: {
						sessionsRunning: sessions.running.size,
						sessionsStarted: BigInt(c.sessionsStarted),
						loadsRefused: BigInt(c.loadsRefused),
						outputRecords: BigInt(c.outputRecords),
						outputBytes: BigInt(c.outputBytes),
						droppedRecords: BigInt(c.droppedRecords),
						droppedBytes: BigInt(c.droppedBytes),
						uptimeSeconds: BigInt(Math.floor((Date.now() - ctx.startedAt) / 1000)),
						residentMemoryBytes: BigInt(residentBytes()),
						subscribers: c.subscribers,
					},
					callerIdentity: caller.identity,
					callerRights: caller.rights,
					agentName: ctx.agentName,
					features: [...AGENT_FEATURES],
				},
			};
		}),

		getKernelProfile: (call: ServerWritableStream<GetKernelProfileRequest, GetKernelProfileResponse>) => {
			handle('GetKernelProfile', call, 'observe', 'read the kernel profile', async () => {
				const expected = call.request.expectedBuildId;
				if (expected && expected !== ctx.facts.buildId) {
					throw failedPrecondition(`host "${ctx.facts.hostname}" runs kernel build-id ${ctx.facts.buildId}, not the expected ${expected}`);
				}
				const data = await localProfileBytes();
				for (const chunk of chunks(data)) call.write({ buildId: ctx.facts.buildId, data: chunk, totalBytes: BigInt(data.length) });
			}).then(
				() => call.end(),
				(err) => call.emit('error', toServiceError(err)),
			);
		},

		load: (call: ServerReadableStream<LoadRequest, LoadResponse>, callback: sendUnaryData<LoadResponse>) => {
			handle('Load', call, 'operate', 'load modules', async (caller) => loadResponse(await receiveModule(call, caller))).then(
				(res) => callback(null, res),
				(err) => callback(toServiceError(err)),
			);
		},

		streamOutput: (call: ServerWritableStream<StreamOutputRequest, StreamOutputResponse>) => {
			const req = call.request;
			handle('StreamOutput', call, 'observe', 'stream session output', () => subscribe(call, sessions.get(checkSessionId(req.sessionId)), Number(req.fromSeq), req.holdLease), requestFields(req)).catch((err) =>
				call.emit('error', toServiceError(err)),
			);
		},

		loadAndStream: (call: ServerDuplexStream<LoadRequest, LoadAndStreamResponse>) => {
			handle('LoadAndStream', call, 'operate', 'load modules', async (caller) => {
				// both rights before anything is received: a caller that may load but not watch gets nothing started
				requireRight(caller, 'observe', 'stream session output');
				// (iterated without destroying the call at the end of its requests: its responses follow)
				const session = await receiveModule(call.iterator({ destroyOnReturn: false }), caller);
				call.write({ loaded: loadResponse(session) });
				// the lease is held from here on, as by a StreamOutput with hold_lease
				await subscribe(call, session, 0, true);
			}).catch((err) => call.emit('error', toServiceError(err)));
		},

		unload: unary<UnloadRequest, UnloadResponse>('Unload', 'operate', 'unload sessions', async (req) => {
			const s = sessions.get(checkSessionId(req.sessionId));
			if (!(s instanceof Session)) return { output: [], exit: toSessionExit(s.exit) };
			const from = s.output.nextSeq;
			const exit = await s.stop(req.force, req.force ? 'forced' : 'unloaded');
			const output = [];
			for (let seq = Math.max(from, s.output.firstSeq); seq < s.output.nextSeq; seq++) {
				const rec = s.output.get(seq)!;
				if (rec.body.kind !== 'exit') output.push(toOutputRecord(rec));
			}
			return { output, exit: toSessionExit(exit) };
		}),

		listSessions: unary<ListSessionsRequest, ListSessionsResponse>('ListSessions', 'observe', 'list sessions', async () => ({
			sessions: [...sessions.running.values(), ...sessions.finished].map(toSessionInfo),
		})),

		renewLease: unary<RenewLeaseRequest, RenewLeaseResponse>('RenewLease', 'operate', 'renew leases', async (req) => {
			const s = sessions.getRunning(checkSessionId(req.sessionId));
			s.lastContact = Date.now();
			return { leaseSeconds: s.spec.leaseSeconds };
		}),
	};
	return service;
}

/** What of a request goes into the log line (never file contents). */
function requestFields(req: unknown): Record<string, unknown> {
	const r = req as { sessionId?: string; force?: boolean };
	const out: Record<string, unknown> = {};
	if (r?.sessionId) out.session = r.sessionId;
	if (r?.force) out.force = true;
	return out;
}
