// A promise-based client for one agent, over the transport its URI names.
import { ChannelCredentials, credentials as grpcCredentials, Metadata, status, type ServiceError, type ClientReadableStream, type ClientWritableStream, type ClientDuplexStream } from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, createSecureContext, type SecureContext } from 'node:tls';
import type { ClientTls } from '../pki/credentials.js';
import {
	AgentServiceClient,
	type HostInfo,
	type LoadAndStreamResponse,
	type LoadRequest,
	type LoadResponse,
	type SessionInfo,
	type SessionOptions,
	type StreamOutputResponse,
	type UnloadResponse,
} from '../../proto/gen/tapfleet/v1/agent.js';
import type { HostUri } from './host-uri.js';

/** Chunk size for module files: well under the agent's message limit. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export interface ModuleUpload {
	manifest: Buffer;
	signature: Buffer;
	files: { name: string; data: Buffer }[];
}

/** The host part of HOST:PORT or [V6]:PORT. */
function hostOf(target: string): string {
	return target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/**
 * One TLS context (CA, client certificate and key, parsed once) for every
 * host of a run: built per host, it cost ~2 ms of CPU each, a tenth of the
 * controller's work on 50 hosts. The same checks apply to every connection.
 */
const secureContexts = new WeakMap<ClientTls, SecureContext>();

function secureContextFor(tls: ClientTls): SecureContext {
	let ctx = secureContexts.get(tls);
	if (!ctx) {
		// as grpc-js's createSsl builds it (GRPC_SSL_CIPHER_SUITES included), once
		ctx = createSecureContext({ ca: tls.ca, key: tls.key, cert: tls.cert, ciphers: process.env.GRPC_SSL_CIPHER_SUITES });
		secureContexts.set(tls, ctx);
	}
	return ctx;
}

function channelCredentials(host: HostUri, tls: ClientTls | undefined): ChannelCredentials {
	if (host.transport !== 'mtls') return grpcCredentials.createInsecure();
	if (!tls) throw new Error(`host ${host.label} needs mutual TLS: give --pki DIR (from \`tapfleet keys init\`)`);
	const name = hostOf(host.target);
	// The certificate must name the address we dialled (tls.checkServerIdentity checks IP SANs
	// too); done here so that an IP address need not be sent as the TLS server name.
	return grpcCredentials.createFromSecureContext(secureContextFor(tls), { checkServerIdentity: (_sni, cert) => checkServerIdentity(name, cert) });
}

/** RFC 6066 forbids an IP address as the TLS server name; send a fixed name and check the IP ourselves. */
function serverNameOptions(host: HostUri): Record<string, string> {
	return host.transport === 'mtls' && isIP(hostOf(host.target)) ? { 'grpc.ssl_target_name_override': 'tapfleet-agent' } : {};
}

/** A Load's messages: the header, then every file in chunks. */
function loadMessages(upload: ModuleUpload, options: SessionOptions): LoadRequest[] {
	const messages: LoadRequest[] = [{ header: { manifest: upload.manifest, signature: upload.signature, options } }];
	for (const f of upload.files) {
		for (let off = 0; off < f.data.length; off += UPLOAD_CHUNK_BYTES) {
			messages.push({ chunk: { name: f.name, data: f.data.subarray(off, off + UPLOAD_CHUNK_BYTES) } });
		}
	}
	return messages;
}

/** Writes the messages, respecting flow control (an agent that refuses early stops reading), then half-closes. */
function sendAll(call: ClientWritableStream<LoadRequest> | ClientDuplexStream<LoadRequest, LoadAndStreamResponse>, messages: LoadRequest[]): void {
	let i = 0;
	const pump = () => {
		while (i < messages.length) {
			if (!call.write(messages[i++])) return void call.once('drain', pump);
		}
		call.end();
	};
	pump();
}

/** Agents (by target) that answered LoadAndStream with UNIMPLEMENTED: later loads in this process go straight to Load. */
const withoutLoadAndStream = new Set<string>();

/** A loaded session, and its records' stream when the load already opened one. */
export interface LoadedSession {
	sessionId: string;
	/** Paused; its 'data' messages carry `record`; resume() once listening. Absent: follow with StreamOutput. */
	records?: ClientReadableStream<StreamOutputResponse>;
}

/** A gRPC error as one line: "PERMISSION_DENIED: ...". */
export function describeError(err: unknown): string {
	const e = err as Partial<ServiceError>;
	if (typeof e?.code === 'number') return `${status[e.code] ?? e.code}: ${withoutTransportNoise(e.details || e.message || '')}`;
	return (err as Error)?.message ?? String(err);
}

/**
 * grpc-js's text for a connection that failed: "No connection established.
 * Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: "
 * becomes "No connection established: connect ECONNREFUSED 127.0.0.1:1"
 * (an empty resolution note and the nested "Error:" say nothing).
 */
export function withoutTransportNoise(details: string): string {
	return details
		.replace(/\. Resolution note: ?$/, '')
		.replace(/^No connection established\. Last error: (?:Error: )?/, 'No connection established: ');
}

export class AgentClient {
	readonly client: AgentServiceClient;

	constructor(
		readonly host: HostUri,
		tls: ClientTls | undefined,
		private deadlineMs = 15_000,
	) {
		this.client = new AgentServiceClient(host.target, channelCredentials(host, tls), {
			'grpc.max_receive_message_length': 64 * 1024 * 1024,
			// a ping every 10 s, 20 s to answer it (gRPC's default; see agent/server.ts)
			'grpc.keepalive_time_ms': 10_000,
			'grpc.keepalive_timeout_ms': 20_000,
			// per-call statistics for a channelz service nobody reads: CPU on every call, for each host
			'grpc.enable_channelz': 0,
			...serverNameOptions(host),
		});
	}

	private deadline(): { deadline: Date } {
		return { deadline: new Date(Date.now() + this.deadlineMs) };
	}

	hostInfo(): Promise<HostInfo> {
		return new Promise((resolve, reject) =>
			this.client.getHostInfo({}, new Metadata(), this.deadline(), (err, res) => (err ? reject(err) : resolve(res!.host!))),
		);
	}

	load(upload: ModuleUpload, options: SessionOptions): Promise<LoadResponse> {
		return new Promise((resolve, reject) => {
			const call = this.client.load(new Metadata(), { deadline: new Date(Date.now() + 120_000) }, (err, res) => (err ? reject(err) : resolve(res!)));
			call.on('error', () => {}); // reported through the callback
			sendAll(call, loadMessages(upload, options));
		});
	}

	/**
	 * Loads a session to follow: LoadAndStream, whose call then carries the
	 * session's records (one call and one round trip less than Load and
	 * StreamOutput); from an agent without that call (UNIMPLEMENTED), Load.
	 */
	async loadToFollow(upload: ModuleUpload, options: SessionOptions): Promise<LoadedSession> {
		if (!withoutLoadAndStream.has(this.host.target)) {
			try {
				return await this.loadAndStream(upload, options);
			} catch (err) {
				if ((err as Partial<ServiceError>).code !== status.UNIMPLEMENTED) throw err;
				withoutLoadAndStream.add(this.host.target);
			}
		}
		return { sessionId: (await this.load(upload, options)).sessionId };
	}

	private loadAndStream(upload: ModuleUpload, options: SessionOptions): Promise<LoadedSession> {
		return new Promise((resolve, reject) => {
			// No deadline: the call lasts as long as the session's output.
			const call = this.client.loadAndStream();
			let settled = false;
			const fail = (err: Error) => {
				if (settled) return;
				settled = true;
				reject(err);
			};
			call.once('data', (msg: LoadAndStreamResponse) => {
				if (settled) return;
				settled = true;
				if (!msg.loaded) {
					call.cancel();
					return reject(new Error('the agent answered LoadAndStream without the session first'));
				}
				// Held until the follower listens: records stay in the call's buffer meanwhile.
				call.pause();
				// The readable side of the call: from here its messages are `{ record }`, as StreamOutput's.
				resolve({ sessionId: msg.loaded.sessionId, records: call as unknown as ClientReadableStream<StreamOutputResponse> });
			});
			call.on('error', fail); // after the first response the follower reports errors
			call.on('end', () => fail(new Error('the agent ended LoadAndStream without starting a session')));
			sendAll(call, loadMessages(upload, options));
		});
	}

	/** Server stream of a session's records; the caller handles 'data', 'error', 'end'. */
	stream(sessionId: string, fromSeq: bigint, holdLease: boolean): ClientReadableStream<StreamOutputResponse> {
		return this.client.streamOutput({ sessionId, fromSeq, holdLease });
	}

	unload(sessionId: string, force: boolean): Promise<UnloadResponse> {
		return new Promise((resolve, reject) =>
			this.client.unload({ sessionId, force }, new Metadata(), { deadline: new Date(Date.now() + 120_000) }, (err, res) => (err ? reject(err) : resolve(res!))),
		);
	}

	listSessions(): Promise<SessionInfo[]> {
		return new Promise((resolve, reject) =>
			this.client.listSessions({}, new Metadata(), this.deadline(), (err, res) => (err ? reject(err) : resolve(res!.sessions))),
		);
	}

	renewLease(sessionId: string): Promise<number> {
		return new Promise((resolve, reject) =>
			this.client.renewLease({ sessionId }, new Metadata(), this.deadline(), (err, res) => (err ? reject(err) : resolve(res!.leaseSeconds))),
		);
	}

	close(): void {
		this.client.close();
	}
}
