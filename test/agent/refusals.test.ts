// Every refusal an agent gives, over real mTLS on loopback, each with its
// status code and a message naming what was wrong, and nothing loaded
// afterwards: no session, no staged files, no taprun process.
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { signManifest } from '../../controller/module/sign.js';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { Dispatch } from '../../controller/dispatch/fanout.js';
import { createSink } from '../../controller/dispatch/output-sink.js';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';
import { initPki } from '../../controller/pki/keys.js';
import { loadClientTls } from '../../controller/pki/credentials.js';
import { runningKernelBuildId } from '../../agent/host-facts.js';
import type { ModuleUpload } from '../../controller/dispatch/agent-client.js';
import { Writable } from 'node:stream';
import { clientFor, filesUnder, inProcessAgent, taprunProcessesUnder, tempDir, testPki, TAPRUN, writeModule } from './helpers.js';

// Refused loads never start taprun; the agent only needs a binary that
// exists to offer the bpf runtime. Until taprun is built, node stands in
// for that existence check (it is never executed in this file).
const taprunPath = existsSync(TAPRUN) ? TAPRUN : process.execPath;
const OTHER_BUILD_ID = 'a'.repeat(40);

async function setup(t: any) {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a0', { taprunPath });
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	return { pki, agent, client };
}

async function expectRefusal(t: any, p: Promise<unknown>, code: status, pattern: RegExp) {
	const err: any = await t.throwsAsync(p);
	t.is(err?.code, code, `expected ${status[code]}, got ${status[err?.code]}: ${err?.details}`);
	t.regex(err?.details ?? '', pattern);
}

async function nothingLoaded(t: any, agent: Awaited<ReturnType<typeof inProcessAgent>>, client: ReturnType<typeof clientFor>) {
	t.deepEqual(await client.listSessions(), []);
	t.deepEqual(filesUnder(join(agent.stateDir, 'staging')), []);
	t.deepEqual(filesUnder(join(agent.stateDir, 'sessions')), []);
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
}

function moduleUpload(pkiKey: any, spec: Parameters<typeof writeModule>[1] = {}): ModuleUpload {
	const dir = tempDir('mod');
	writeModule(dir, spec);
	return signedUpload(readModuleDir(dir), pkiKey);
}

const options = { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };

test('a module built for another kernel is refused by the controller before sending, and by the agent when sent directly', async (t) => {
	const { pki, agent, client } = await setup(t);
	const dir = tempDir('mod');
	writeModule(dir, { buildId: OTHER_BUILD_ID });
	const hostBuildId = runningKernelBuildId();

	// Controller side: the dispatch refuses, naming the host and both build-ids; the agent never sees a Load.
	const notes: string[] = [];
	const sink = createSink('plain', { stdout: new Writable({ write: (_c, _e, cb) => cb() }) as any, stderr: new Writable({ write: (c, _e, cb) => (notes.push(String(c)), cb()) }) });
	const dispatch = new Dispatch({
		hosts: [parseHostUri(agent.address)],
		tls: pki.tls,
		signingKey: pki.signingKey,
		moduleFor: async () => readModuleDir(dir),
		session: options,
		sink,
	});
	const [outcome] = await dispatch.done;
	t.regex(outcome.error ?? '', /^Build-id mismatch: host "127\.0\.0\.1:\d+" runs kernel build-id [0-9a-f]+/);
	t.true(outcome.error!.includes(hostBuildId) && outcome.error!.includes(OTHER_BUILD_ID));
	t.false(agent.logs.lines.some((l) => l.method === 'Load'));

	// Agent side: a raw client that skips the controller's check.
	await expectRefusal(t, client.load(signedUpload(readModuleDir(dir), pki.signingKey), options), status.FAILED_PRECONDITION, new RegExp(`Build-id mismatch: .*${OTHER_BUILD_ID}.*${hostBuildId}`));
	await nothingLoaded(t, agent, client);
});

test('an unsigned module, one signed by an untrusted key, and a tampered manifest are PERMISSION_DENIED', async (t) => {
	const { pki, agent, client } = await setup(t);
	const upload = moduleUpload(pki.signingKey);
	await expectRefusal(t, client.load({ ...upload, signature: Buffer.alloc(0) }, options), status.PERMISSION_DENIED, /not signed/);

	const stranger = join(tempDir('pki'), 'other');
	await initPki(stranger);
	const { loadSigningKey } = await import('../../controller/pki/credentials.js');
	const strangerKey = loadSigningKey(stranger);
	await expectRefusal(t, client.load({ ...upload, signature: signManifest(upload.manifest, strangerKey) }, options), status.PERMISSION_DENIED, /does not verify against any trusted key/);

	const tampered = Buffer.from(upload.manifest.toString().replace('test_module', 'evil_module'));
	await expectRefusal(t, client.load({ ...upload, manifest: tampered }, options), status.PERMISSION_DENIED, /does not verify/);
	await nothingLoaded(t, agent, client);
});

test('a tampered or truncated file is refused against the signed manifest, and its staging is removed', async (t) => {
	const { pki, agent, client } = await setup(t);
	const upload = moduleUpload(pki.signingKey);
	const file = upload.files[0];
	const flipped = Buffer.from(file.data);
	flipped[0] ^= 1;
	await expectRefusal(t, client.load({ ...upload, files: [{ ...file, data: flipped }] }, options), status.PERMISSION_DENIED, /probe\.bpf\.o has sha256 [0-9a-f]{64}, the manifest says/);
	await expectRefusal(t, client.load({ ...upload, files: [{ ...file, data: Buffer.concat([file.data, Buffer.from('x')]) }] }, options), status.PERMISSION_DENIED, /larger than the signed manifest says/);
	await expectRefusal(t, client.load({ ...upload, files: [{ ...file, data: file.data.subarray(1) }] }, options), status.PERMISSION_DENIED, /bytes, the manifest says/);
	await expectRefusal(t, client.load({ ...upload, files: [] }, options), status.INVALID_ARGUMENT, /without file\(s\) probe\.bpf\.o/);
	await nothingLoaded(t, agent, client);
});

test('bad names are INVALID_ARGUMENT: path traversal in a chunk, an unlisted file, a signed manifest with an unsafe name', async (t) => {
	const { pki, agent, client } = await setup(t);
	const upload = moduleUpload(pki.signingKey);
	await expectRefusal(t, client.load({ ...upload, files: [{ name: '../../etc/cron.d/x', data: upload.files[0].data }] }, options), status.INVALID_ARGUMENT, /bad file name "\.\.\/\.\.\/etc\/cron\.d\/x"/);
	await expectRefusal(t, client.load({ ...upload, files: [{ name: 'extra.bin', data: Buffer.from('x') }] }, options), status.INVALID_ARGUMENT, /not listed in the module's manifest/);
	// A manifest the controller's key signed, but naming a file outside the module directory.
	const dir = tempDir('mod');
	writeModule(dir);
	const { readFileSync } = await import('node:fs');
	const bad = Buffer.from(readFileSync(join(dir, 'manifest.json'), 'utf8').replace('"probe.bpf.o"', '"../probe.bpf.o"'));
	await expectRefusal(t, client.load({ manifest: bad, signature: signManifest(bad, pki.signingKey), files: [] }, options), status.INVALID_ARGUMENT, /bad file name "\.\.\/probe\.bpf\.o"/);
	const badModule = Buffer.from(readFileSync(join(dir, 'manifest.json'), 'utf8').replace('"test_module"', '"Bad-Name"'));
	await expectRefusal(t, client.load({ manifest: badModule, signature: signManifest(badModule, pki.signingKey), files: [] }, options), status.INVALID_ARGUMENT, /bad module name "Bad-Name"/);
	await nothingLoaded(t, agent, client);
});

test('oversized uploads are RESOURCE_EXHAUSTED: a message over the limit, a signed manifest declaring a file over the limit', async (t) => {
	const { pki, agent, client } = await setup(t);
	const upload = moduleUpload(pki.signingKey);
	// One gRPC message larger than the agent accepts (chunks are 1 MiB; the limit is ~4 MiB).
	const huge = Buffer.alloc(5 * 1024 * 1024);
	const err: any = await t.throwsAsync(
		new Promise((resolve, reject) => {
			const call = client.client.load((e: any, r: any) => (e ? reject(e) : resolve(r)));
			call.on('error', () => {});
			call.write({ header: { manifest: upload.manifest, signature: upload.signature, options } });
			call.write({ chunk: { name: 'probe.bpf.o', data: huge } });
			call.end();
		}),
	);
	t.is(err.code, status.RESOURCE_EXHAUSTED);
	// A signed manifest whose declared size exceeds MODULE_LIMITS.
	const dir = tempDir('mod');
	writeModule(dir);
	const { readFileSync } = await import('node:fs');
	const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
	manifest.files[0].size = 65 * 1024 * 1024;
	const bytes = Buffer.from(JSON.stringify(manifest));
	await expectRefusal(t, client.load({ manifest: bytes, signature: signManifest(bytes, pki.signingKey), files: [] }, options), status.RESOURCE_EXHAUSTED, /at most 67108864 per file/);
	await nothingLoaded(t, agent, client);
});

test('script arguments, leases and kernel buffers beyond the limits are INVALID_ARGUMENT', async (t) => {
	const { pki, agent, client } = await setup(t);
	const upload = moduleUpload(pki.signingKey);
	// run -s: a power of two up to 1024 MiB, and no more than the agent allows (256 by default)
	await expectRefusal(t, client.load(upload, { ...options, kernelBufferMib: 512 }), status.INVALID_ARGUMENT, /a kernel buffer of 512 MiB is more than this agent allows \(256 MiB\)/);
	await expectRefusal(t, client.load(upload, { ...options, kernelBufferMib: 3 }), status.INVALID_ARGUMENT, /a kernel buffer of 3 MiB: it must be a power of two from 1 to 1024 MiB/);
	await expectRefusal(t, client.load(upload, { ...options, kernelBufferMib: 2048 }), status.INVALID_ARGUMENT, /a kernel buffer of 2048 MiB: it must be a power of two/);
	await expectRefusal(t, client.load(upload, { ...options, args: Array(65).fill('x') }), status.INVALID_ARGUMENT, /65 script arguments; at most 64/);
	await expectRefusal(t, client.load(upload, { ...options, args: ['a\0b'] }), status.INVALID_ARGUMENT, /argument 1 contains a NUL/);
	await expectRefusal(t, client.load(upload, { ...options, leaseSeconds: 10_000_000 }), status.INVALID_ARGUMENT, /lease of 10000000 s is longer/);
	await nothingLoaded(t, agent, client);
});

test('unknown and malformed session ids: NOT_FOUND and INVALID_ARGUMENT', async (t) => {
	const { client } = await setup(t);
	await expectRefusal(t, client.unload('s-000000000000', false), status.NOT_FOUND, /no session "s-000000000000"/);
	await expectRefusal(t, client.renewLease('s-000000000000'), status.NOT_FOUND, /no session/);
	await expectRefusal(t, client.unload('../../x', false), status.INVALID_ARGUMENT, /bad session id/);
	const streamErr: any = await new Promise((resolve) => {
		const call = client.stream('s-000000000000', 0n, false);
		call.on('data', () => {});
		call.on('error', resolve);
	});
	t.is(streamErr.code, status.NOT_FOUND);
});

test('identities: an observer may read but not load (the refusal names identity and right); certificates from another CA and no certificate are refused', async (t) => {
	const { pki, agent, client } = await setup(t);
	const observer = clientFor(agent.address, pki.observerTls);
	t.teardown(() => observer.close());
	const info = await observer.hostInfo();
	t.is(info.callerIdentity, 'watcher');
	t.deepEqual(info.callerRights, ['observe']);
	await expectRefusal(t, observer.load(moduleUpload(pki.signingKey), options), status.PERMISSION_DENIED, /identity "watcher" may not load modules: it lacks the right "operate"/);
	await expectRefusal(t, observer.unload('s-000000000000', false), status.PERMISSION_DENIED, /identity "watcher" may not unload sessions/);

	const otherDir = join(tempDir('pki'), 'other');
	await initPki(otherDir);
	const stranger = clientFor(agent.address, loadClientTls(otherDir));
	t.teardown(() => stranger.close());
	const e1: any = await t.throwsAsync(stranger.hostInfo());
	t.is(e1.code, status.UNAVAILABLE);

	// A client presenting no certificate at all: the TLS handshake fails.
	const { AgentServiceClient } = await import('../../proto/gen/tapfleet/v1/agent.js');
	const { credentials } = await import('@grpc/grpc-js');
	const anonymous = new AgentServiceClient(agent.address, credentials.createSsl(pki.tls.ca));
	const e2: any = await new Promise((resolve) => anonymous.getHostInfo({}, { deadline: Date.now() + 5000 } as any, (e: any) => resolve(e)));
	anonymous.close();
	t.truthy(e2);
	t.not(e2.code, status.OK);
	await nothingLoaded(t, agent, client);
	t.is((await client.hostInfo()).callerIdentity, 'controller');
});

test('health and reflection services answer', async (t) => {
	const { pki, agent } = await setup(t);
	const { credentials, makeGenericClientConstructor } = await import('@grpc/grpc-js');
	const { service: healthService } = await import('grpc-health-check');
	const Health = makeGenericClientConstructor(healthService as any, 'Health');
	const health: any = new Health(agent.address, credentials.createSsl(pki.tls.ca, pki.tls.key, pki.tls.cert));
	const res: any = await new Promise((resolve, reject) => health.check({ service: 'tapfleet.v1.AgentService' }, (e: any, r: any) => (e ? reject(e) : resolve(r))));
	t.is(res.status, 'SERVING');
	health.close();
	t.true(agent.logs.lines.some((l) => l.msg === 'agent listening'));
	t.false(agent.logs.lines.some((l) => String(l.msg).includes('reflection is off')));
});

test('the session limit is RESOURCE_EXHAUSTED, and a slot frees when a session ends', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a1', { maxSessions: 1 });
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	const { buildModule } = await import('./helpers.js');
	const ticks = signedUpload(readModuleDir(await buildModule('ticks', tempDir('mod'))), pki.signingKey);
	const { sessionId } = await client.load(ticks, { ...options, detach: true });
	await expectRefusal(t, client.load(ticks, options), status.RESOURCE_EXHAUSTED, /already runs 1 session\(s\) and 0 load\(s\) in progress; its limit is 1/);
	t.is((await client.listSessions()).length, 1);
	await client.unload(sessionId, false);
	const again = await client.load(ticks, { ...options, detach: true });
	await client.unload(again.sessionId, true);
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
});

test("the agent's policy overrides a role's rights per identity; a malformed policy stops the agent with a clear message", async (t) => {
	const pki = await testPki();
	const { writeFileSync } = await import('node:fs');
	const policy = join(tempDir('policy'), 'policy.json');
	writeFileSync(policy, JSON.stringify({ identities: { controller: ['observe'], watcher: ['observe', 'operate'] } }));
	const agent = await inProcessAgent(pki, 'a2', { policyPath: policy, taprunPath });
	t.teardown(() => agent.stop());
	const controller = clientFor(agent.address, pki.tls);
	const watcher = clientFor(agent.address, pki.observerTls);
	t.teardown(() => (controller.close(), watcher.close()));
	await expectRefusal(t, controller.load(moduleUpload(pki.signingKey), options), status.PERMISSION_DENIED, /identity "controller" may not load modules: it lacks the right "operate" \(it has: observe\)/);
	t.deepEqual((await watcher.hostInfo()).callerRights, ['observe', 'operate']);
	await expectRefusal(t, watcher.unload('s-000000000000', false), status.NOT_FOUND, /no session/);

	writeFileSync(policy, JSON.stringify({ identities: { controller: ['everything'] } }));
	await t.throwsAsync(inProcessAgent(pki, 'a2', { policyPath: policy }), { message: /policy\.json: identity "controller": rights must be a list of "observe", "operate"/ });
});

test('a module whose script runs shell commands (system()) loads only for an identity the policy grants "commands": a controller is refused, naming the right, and the refusal is journalled', async (t) => {
	const pki = await testPki();
	const { writeFileSync, readFileSync } = await import('node:fs');
	const policy = join(tempDir('policy'), 'policy.json');
	writeFileSync(policy, JSON.stringify({ identities: { watcher: ['observe', 'operate', 'commands'] } }));
	const agent = await inProcessAgent(pki, 'a5', { policyPath: policy, taprunPath });
	t.teardown(() => agent.stop());
	const controller = clientFor(agent.address, pki.tls);
	const trusted = clientFor(agent.address, pki.observerTls);
	t.teardown(() => (controller.close(), trusted.close()));
	const commands = moduleUpload(pki.signingKey, { name: 'runs_uptime', runsCommands: true });
	await expectRefusal(t, controller.load(commands, options), status.PERMISSION_DENIED,
		/^identity "controller" may not load module "runs_uptime" \(its script runs shell commands with system\(\)\): it lacks the right "commands" \(it has: observe, operate\); grant it in the agent's policy\.json$/);
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
	t.deepEqual(filesUnder(join(agent.stateDir, 'staging')), []);
	const journal = readFileSync(join(agent.stateDir, 'journal.jsonl'), 'utf8');
	t.regex(journal, /"event":"refused","owner":"controller","module":"runs_uptime","code":"PERMISSION_DENIED"/);
	// the same module without the flag, and with it for an identity granted the right, pass this check
	t.truthy((await controller.load(moduleUpload(pki.signingKey, { name: 'no_commands' }), { ...options, detach: true })).sessionId);
	const granted = await trusted.load(commands, { ...options, detach: true });
	t.truthy(granted.sessionId);
});

test('a module whose script changes the kernel (guru mode: target-variable writes, embedded C) loads only for an identity the policy grants "guru": a controller, even one granted "commands", is refused, naming the right, and the refusal is journalled', async (t) => {
	const pki = await testPki();
	const { writeFileSync, readFileSync } = await import('node:fs');
	const policy = join(tempDir('policy'), 'policy.json');
	writeFileSync(policy, JSON.stringify({ identities: { controller: ['observe', 'operate', 'commands'], watcher: ['observe', 'operate', 'guru'] } }));
	const agent = await inProcessAgent(pki, 'a6', { policyPath: policy, taprunPath });
	t.teardown(() => agent.stop());
	const controller = clientFor(agent.address, pki.tls);
	const trusted = clientFor(agent.address, pki.observerTls);
	t.teardown(() => (controller.close(), trusted.close()));
	const guru = moduleUpload(pki.signingKey, { name: 'writes_kernel', guru: true });
	await expectRefusal(t, controller.load(guru, options), status.PERMISSION_DENIED,
		/^identity "controller" may not load module "writes_kernel" \(its script changes the kernel in guru mode: it writes target variables or embeds C\): it lacks the right "guru" \(it has: observe, operate, commands\); grant it in the agent's policy\.json$/);
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
	t.deepEqual(filesUnder(join(agent.stateDir, 'staging')), []);
	t.regex(readFileSync(join(agent.stateDir, 'journal.jsonl'), 'utf8'), /"event":"refused","owner":"controller","module":"writes_kernel","code":"PERMISSION_DENIED"/);
	t.truthy((await trusted.load(guru, { ...options, detach: true })).sessionId);
});
