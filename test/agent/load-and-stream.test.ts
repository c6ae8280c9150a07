// LoadAndStream: a module loaded and its session's output streamed in one
// call (real agents, real mTLS, real taprun and BPF). The first response is
// the session, then its records up to the exit; a caller without both rights
// gets nothing started; and a controller still runs scripts on an agent
// that predates the call (it answers UNIMPLEMENTED: Load and StreamOutput).
import test from 'ava';
import { Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentService } from '../../agent/service.js';
import { availableRuntimes, hostFacts } from '../../agent/host-facts.js';
import { Journal } from '../../agent/journal.js';
import { silentLogger } from '../../agent/log.js';
import { DEFAULT_BUFFER_LIMITS } from '../../agent/output-buffer.js';
import { SessionManager } from '../../agent/sessions.js';
import { Dispatch } from '../../controller/dispatch/fanout.js';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { loadTrustedKeys } from '../../controller/module/verify.js';
import { AGENT_PKI_FILES } from '../../controller/pki/layout.js';
import { AgentServiceService, type LoadAndStreamResponse, type LoadRequest, type OutputRecord } from '../../proto/gen/tapfleet/v1/agent.js';
import type { OutputSink } from '../../controller/dispatch/output-sink.js';
import { buildModule, clientFor, inProcessAgent, readJournal, TAPRUN, tempDir, testPki, until } from './helpers.js';

const options = { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };

/** The upload messages of a Load, for a raw call. */
function loadMessages(moduleDir: string, signingKey: Parameters<typeof signedUpload>[1]): LoadRequest[] {
	const upload = signedUpload(readModuleDir(moduleDir), signingKey);
	return [{ header: { manifest: upload.manifest, signature: upload.signature, options } }, ...upload.files.map((f) => ({ chunk: { name: f.name, data: f.data } }))];
}

/** Every response of a raw LoadAndStream until its end, or its error. */
function rawLoadAndStream(client: ReturnType<typeof clientFor>, messages: LoadRequest[]): Promise<{ responses: LoadAndStreamResponse[]; error?: ServiceError }> {
	return new Promise((resolve) => {
		const responses: LoadAndStreamResponse[] = [];
		const call = client.client.loadAndStream();
		call.on('data', (r: LoadAndStreamResponse) => responses.push(r));
		call.on('error', (error: ServiceError) => resolve({ responses, error }));
		call.on('end', () => resolve({ responses }));
		for (const m of messages) call.write(m);
		call.end();
	});
}

/** An output sink that keeps each host's stdout. */
function keepingSink(): OutputSink & { out: Map<string, string> } {
	const out = new Map<string, string>();
	return {
		out,
		record: (host: string, _s: string, r: OutputRecord) => {
			if (r.text) out.set(host, (out.get(host) ?? '') + Buffer.from(r.text.data).toString());
			return true;
		},
		note: () => {},
		onDrain: () => {},
	};
}

test('LoadAndStream: the session first, then its records in order up to the exit, in one call', async (t) => {
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const agent = await inProcessAgent(pki, 'a0');
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());

	const { responses, error } = await rawLoadAndStream(client, loadMessages(hello, pki.signingKey));
	t.is(error, undefined);
	const [first, ...rest] = responses;
	t.regex(first?.loaded?.sessionId ?? '', /^s-[0-9a-f]{12}$/);
	t.is(first?.loaded?.moduleName, 'hello');
	t.true(rest.every((r) => r.record && !r.loaded));
	t.deepEqual(
		rest.map((r) => Number(r.record!.seq)),
		rest.map((_, i) => i + 1),
	);
	t.is(Buffer.from(rest[0]!.record!.text!.data).toString(), 'hello world\n');
	t.deepEqual(rest.at(-1)!.record!.exit, { exitCode: 0, signal: '', reason: 'exited' });
	const sessionId = first!.loaded!.sessionId;
	t.true(readJournal(agent.stateDir).some((e) => e.event === 'loaded' && e.session === sessionId));
	t.is((await client.listSessions()).find((s) => s.sessionId === sessionId)?.exit?.reason, 'exited');
});

test('LoadAndStream needs both rights: an observer, and an identity that may load but not watch, start nothing', async (t) => {
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const policy = join(tempDir('policy'), 'policy.json');
	writeFileSync(policy, JSON.stringify({ identities: { controller: ['operate'] } }));
	const agent = await inProcessAgent(pki, 'a1', { policyPath: policy });
	t.teardown(() => agent.stop());
	const observer = clientFor(agent.address, pki.observerTls);
	const loader = clientFor(agent.address, pki.tls);
	t.teardown(() => (observer.close(), loader.close()));

	const byObserver = await rawLoadAndStream(observer, loadMessages(hello, pki.signingKey));
	t.is(byObserver.error?.code, status.PERMISSION_DENIED);
	t.regex(byObserver.error?.details ?? '', /identity "watcher" may not load modules: it lacks the right "operate"/);
	const byLoader = await rawLoadAndStream(loader, loadMessages(hello, pki.signingKey));
	t.is(byLoader.error?.code, status.PERMISSION_DENIED);
	t.regex(byLoader.error?.details ?? '', /identity "controller" may not stream session output: it lacks the right "observe"/);
	t.deepEqual(byObserver.responses, []);
	t.deepEqual(byLoader.responses, []);
	t.false(readJournal(agent.stateDir).some((e) => e.event === 'loaded'));
	t.is(agent.sessions.counters.sessionsStarted, 0);
});

test('a controller runs a script on an agent without LoadAndStream (UNIMPLEMENTED) through Load and StreamOutput, next to one with it', async (t) => {
	const pki = await testPki();
	const hello = await buildModule('hello', tempDir('mod'));
	const current = await inProcessAgent(pki, 'a2');
	t.teardown(() => current.stop());

	// An agent of the API before LoadAndStream: the same handlers on real parts, that one left out.
	const stateDir = tempDir('state');
	const journal = new Journal(stateDir);
	const sessions = new SessionManager(stateDir, { maxSessions: 4, defaultLeaseSeconds: 30, endGraceMs: 10_000, finishedKept: 8, buffer: DEFAULT_BUFFER_LIMITS }, journal, silentLogger, TAPRUN);
	const facts = hostFacts();
	const { loadAndStream: _left, ...olderHandlers } = agentService({
		transport: 'unix',
		policy: new Map(),
		facts,
		agentName: 'older',
		agentVersion: 'older',
		runtimeVersion: 'older',
		upload: {
			trustedKeys: loadTrustedKeys(join(pki.agentDir('a3'), AGENT_PKI_FILES.trustedKeysDir)),
			hostName: 'older',
			hostBuildId: facts.buildId,
			hostRelease: facts.release,
			runtimes: availableRuntimes(TAPRUN),
			stagingRoot: sessions.stagingDir,
			maxLeaseSeconds: 3600,
			maxTimeLimitSeconds: 3600,
			maxKernelBufferMib: 256,
		},
		sessions,
		journal,
		log: silentLogger,
		startedAt: Date.now(),
	});
	const server = new Server();
	server.addService(AgentServiceService, olderHandlers as any);
	const socket = `unix:${join(tempDir('sock'), 'older.sock')}`;
	await new Promise<void>((resolve, reject) => server.bindAsync(socket, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
	t.teardown(async () => {
		await sessions.stopAll('test over');
		server.forceShutdown();
		journal.close();
	});

	// The older agent really lacks the call.
	const raw = clientFor(socket, undefined);
	t.teardown(() => raw.close());
	t.is((await rawLoadAndStream(raw, loadMessages(hello, pki.signingKey))).error?.code, status.UNIMPLEMENTED);
	t.is(sessions.counters.sessionsStarted, 0);

	const mod = readModuleDir(hello);
	const sink = keepingSink();
	const dispatch = new Dispatch({ hosts: [socket, current.address].map(parseHostUri), tls: pki.tls, signingKey: pki.signingKey, moduleFor: async () => mod, session: options, sink });
	const outcomes = await dispatch.done;
	t.deepEqual(
		outcomes.map((o) => [o.error, o.exit?.reason]),
		[
			[undefined, 'exited'],
			[undefined, 'exited'],
		],
	);
	t.is(sink.out.get(socket), 'hello world\n');
	t.is(sink.out.get(current.address), 'hello world\n');
	await until('the older agent lists its session as finished', () => sessions.finished.length === 1 || undefined);
});
