// Starting an agent: TCP with mutual TLS (the default), a unix socket for
// the local host, or plain TCP only when asked for. Adds the standard health
// service and server reflection, reconciles the journal before serving, and
// stops every session (end probes) when stopped.
import { makeDirs } from '../controller/util/make-dirs.js';
import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadTrustedKeys } from '../controller/module/verify.js';
import { AGENT_PKI_FILES } from '../controller/pki/layout.js';
import { AgentServiceService } from '../proto/gen/tapfleet/v1/agent.js';
import { VERSION } from '../cli/version.js';
import { loadPolicy, type Transport } from './auth.js';
import { availableRuntimes, hostFacts } from './host-facts.js';
import { Journal } from './journal.js';
import { jsonLogger, type Logger } from './log.js';
import { DEFAULT_BUFFER_LIMITS } from './output-buffer.js';
import { preferBaselineCode } from './code-tiering.js';
import { mutualTlsServerCredentials } from './tls-credentials.js';
import { agentService } from './service.js';
import { SessionManager } from './sessions.js';
import { resolveTaprun, taprunVersion } from './taprun-path.js';

export interface AgentOptions {
	/** "HOST:PORT" (mTLS unless plaintext) or "unix:/path/to/socket". */
	listen: string;
	/** The agent's PKI directory from `tapfleet keys issue --agent NAME`. */
	pkiDir?: string;
	/** Directories of trusted module-signing keys; default PKI/trusted-keys. */
	trustedKeysDir?: string;
	policyPath?: string;
	plaintext?: boolean;
	stateDir: string;
	taprunPath?: string;
	maxSessions?: number;
	bufferBytes?: number;
	bufferRecords?: number;
	defaultLeaseSeconds?: number;
	maxLeaseSeconds?: number;
	/** The largest kernel buffer (run -s, MiB) a load may ask for. */
	maxKernelBufferMib?: number;
	endGraceMs?: number;
	log?: Logger;
	/**
	 * Sync the journal to disk before answering (default true): what lets a
	 * restarted agent find every module it loaded. The agent embedded in
	 * `tapfleet run` keeps its state in a private temporary directory that no
	 * restart ever reads, so it skips the fsyncs (two before the first output).
	 */
	durableJournal?: boolean;
	/** taprun's version as the caller knows it; unset: asked of taprun at start. The agent embedded in `tapfleet run` has no client that shows it, and asking forks and execs taprun before the agent serves. */
	runtimeVersion?: string;
	/**
	 * A long-lived agent process (`tapfleet agent`): compile its code to
	 * baseline machine code on first call (agent/code-tiering.ts). Off for
	 * the agent embedded in a one-shot `tapfleet run`, and by default.
	 */
	longLived?: boolean;
	/** Serve the standard health and reflection services (default true). An agent embedded in `tapfleet run` has no other client and skips them: loading their descriptors is most of its start-up (~0.1-0.3 s). */
	standardServices?: boolean;
}

export interface RunningAgent {
	/** Where it listens: "HOST:PORT" with the real port, or "unix:PATH". */
	address: string;
	transport: Transport;
	sessions: SessionManager;
	journal: Journal;
	stop(reason?: string): Promise<void>;
}

export class AgentConfigError extends Error {}

export const AGENT_DEFAULTS = {
	maxSessions: 16,
	defaultLeaseSeconds: 30,
	maxLeaseSeconds: 7 * 24 * 3600,
	maxTimeLimitSeconds: 30 * 24 * 3600,
	/** A load's kernel-to-taprun buffer (run -s): 16 loads at most could hold 4 GiB of kernel memory. */
	maxKernelBufferMib: 256,
	endGraceMs: 10_000,
	finishedKept: 64,
	/** Module files arrive in chunks of at most 1 MiB; leave room for the header. */
	maxMessageBytes: 4 * 1024 * 1024 + 64 * 1024,
} as const;

function splitHostPort(listen: string): { host: string; port: number } {
	const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
	if (!m) throw new AgentConfigError(`--listen ${JSON.stringify(listen)}: expected HOST:PORT, [IPV6]:PORT or unix:/PATH`);
	return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function readPki(dir: string, file: string): Buffer {
	const path = join(dir, file);
	if (!existsSync(path)) throw new AgentConfigError(`${path} is missing; create the agent's directory with \`tapfleet keys issue --agent NAME\``);
	return readFileSync(path);
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
	if (opts.longLived) preferBaselineCode();
	const log = opts.log ?? jsonLogger();
	// grpc-js's own complaints (bind failures, broken connections) as our JSON lines, not bare text.
	setLogger({ error: (...args: unknown[]) => log.warn('grpc', { detail: args.map(String).join(' ') }) });
	const unixPath = opts.listen.startsWith('unix:') ? opts.listen.slice('unix:'.length) : undefined;
	if (unixPath !== undefined && !unixPath.startsWith('/')) throw new AgentConfigError(`--listen ${opts.listen}: a unix socket needs an absolute path`);
	if (!unixPath) splitHostPort(opts.listen);
	const transport: Transport = unixPath ? 'unix' : opts.plaintext ? 'plaintext' : 'mtls';
	let credentials: ServerCredentials;
	let agentName = hostFacts().hostname;
	if (transport === 'mtls') {
		if (!opts.pkiDir) throw new AgentConfigError('an agent on TCP needs --pki DIR (from `tapfleet keys issue --agent NAME`), or --plaintext to run without TLS');
		const cert = readPki(opts.pkiDir, AGENT_PKI_FILES.cert);
		agentName = new X509Certificate(cert).subject.match(/CN=([^\n,]+)/)?.[1] ?? agentName;
		credentials = mutualTlsServerCredentials(readPki(opts.pkiDir, AGENT_PKI_FILES.caCert), cert, readPki(opts.pkiDir, AGENT_PKI_FILES.key));
	} else {
		if (transport === 'plaintext') log.warn('listening on plain TCP: no encryption, no client authentication; every client may load modules', { listen: opts.listen });
		credentials = ServerCredentials.createInsecure();
	}
	const trustedKeysDir = opts.trustedKeysDir ?? (opts.pkiDir ? join(opts.pkiDir, AGENT_PKI_FILES.trustedKeysDir) : undefined);
	const trustedKeys = trustedKeysDir ? loadTrustedKeys(trustedKeysDir) : [];
	if (trustedKeys.length === 0) log.warn('no trusted module-signing keys: every Load will be refused', { trustedKeysDir });
	const policy = loadPolicy(opts.policyPath ?? (opts.pkiDir ? join(opts.pkiDir, AGENT_PKI_FILES.policy) : undefined));

	try {
		makeDirs(opts.stateDir, 0o700);
	} catch (e) {
		throw new AgentConfigError(`--state-dir ${opts.stateDir}: cannot be made: ${(e as Error).message}`);
	}
	const journal = new Journal(opts.stateDir, opts.durableJournal !== false);
	journal.rotateIfLarge();
	const taprunPath = resolveTaprun(opts.taprunPath);
	// taprun answers while the agent sets up; awaited before it serves (below)
	const runtimeVersionLookup = opts.runtimeVersion !== undefined ? Promise.resolve(opts.runtimeVersion) : taprunVersion(taprunPath);
	let runtimeVersion = 'unknown';
	const facts = hostFacts();
	const endGraceMs = opts.endGraceMs ?? AGENT_DEFAULTS.endGraceMs;
	const sessions = new SessionManager(
		opts.stateDir,
		{
			maxSessions: opts.maxSessions ?? AGENT_DEFAULTS.maxSessions,
			defaultLeaseSeconds: opts.defaultLeaseSeconds ?? AGENT_DEFAULTS.defaultLeaseSeconds,
			endGraceMs,
			finishedKept: AGENT_DEFAULTS.finishedKept,
			buffer: { maxBytes: opts.bufferBytes ?? DEFAULT_BUFFER_LIMITS.maxBytes, maxRecords: opts.bufferRecords ?? DEFAULT_BUFFER_LIMITS.maxRecords },
		},
		journal,
		log,
		taprunPath,
	);
	// Before serving: whatever a previous agent process left running is stopped and recorded.
	await sessions.reconcile();

	const server = new Server({
		'grpc.max_receive_message_length': AGENT_DEFAULTS.maxMessageBytes,
		// Notice a controller that vanished without closing its connection, so its leases can expire.
		// 20 s to answer a ping (gRPC's default): a host under load, the very time one
		// traces, can stall a process for seconds; a 5 s limit dropped live connections.
		'grpc.keepalive_time_ms': 10_000,
		'grpc.keepalive_timeout_ms': 20_000,
		'grpc.keepalive_permit_without_calls': 1,
		// channelz (grpc-js's per-call and per-socket statistics for a channelz service) is on by
		// default and costs CPU on every call and connection; the agent serves no channelz service.
		'grpc.enable_channelz': 0,
	});
	const service = agentService({
		transport,
		policy,
		facts,
		agentName,
		agentVersion: VERSION,
		get runtimeVersion() {
			return runtimeVersion;
		},
		upload: {
			trustedKeys,
			hostName: agentName,
			hostBuildId: facts.buildId,
			hostRelease: facts.release,
			runtimes: availableRuntimes(taprunPath),
			stagingRoot: sessions.stagingDir,
			maxLeaseSeconds: opts.maxLeaseSeconds ?? AGENT_DEFAULTS.maxLeaseSeconds,
			maxTimeLimitSeconds: AGENT_DEFAULTS.maxTimeLimitSeconds,
			maxKernelBufferMib: opts.maxKernelBufferMib ?? AGENT_DEFAULTS.maxKernelBufferMib,
		},
		sessions,
		journal,
		log,
		startedAt: Date.now(),
	});
	server.addService(AgentServiceService, service);
	let health: { setStatus(service: string, status: 'NOT_SERVING'): void } | undefined;
	if (opts.standardServices !== false) {
		// loaded only when served: their protobuf descriptors are the bulk of the agent's start-up
		// `.default` (the package's module.exports): a CommonJS package imported dynamically has no named exports in the CLI bundle
		const [{ default: healthCheck }, { addReflection }] = await Promise.all([import('grpc-health-check'), import('./reflection.js')]);
		const { HealthImplementation } = healthCheck;
		const served = new HealthImplementation({ '': 'SERVING', 'tapfleet.v1.AgentService': 'SERVING' });
		served.addToServer(server);
		health = served;
		if (!addReflection(server)) log.warn('no API descriptors found: server reflection is off');
	}

	runtimeVersion = await runtimeVersionLookup;
	if (unixPath) rmSync(unixPath, { force: true });
	const bindAddress = unixPath ? `unix:${unixPath}` : opts.listen;
	const port = await new Promise<number>((resolve, reject) =>
		server.bindAsync(bindAddress, credentials, (err, p) => (err ? reject(new AgentConfigError(`cannot listen on ${opts.listen}: ${err.message}`)) : resolve(p))),
	);
	if (unixPath) chmodSync(unixPath, 0o600);
	journal.append({ event: 'agent-started', pid: process.pid, version: VERSION });
	const address = unixPath ? `unix:${unixPath}` : `${opts.listen.replace(/:\d+$/, '')}:${port}`;
	log.info('agent listening', { address, transport, buildId: facts.buildId, name: agentName, taprun: taprunPath, trustedKeys: trustedKeys.map((k) => k.name), stateDir: opts.stateDir });

	let stopping: Promise<void> | undefined;
	return {
		address,
		transport,
		sessions,
		journal,
		stop(reason = 'agent stopped') {
			stopping ??= (async () => {
				health?.setStatus('', 'NOT_SERVING');
				await sessions.stopAll(reason);
				// Every session has ended, so every stream ends too; do not wait on a stuck peer for long.
				await new Promise<void>((resolve) => {
					const timer = setTimeout(() => {
						server.forceShutdown();
						resolve();
					}, 5_000);
					server.tryShutdown(() => {
						clearTimeout(timer);
						resolve();
					});
				});
				if (unixPath) rmSync(unixPath, { force: true });
				journal.close();
				log.info('agent stopped', { reason });
			})();
			return stopping;
		},
	};
}
