// tapfleet.v1.AuditService over real sockets: mutual TLS with certificates
// from `tapfleet keys` code, and a unix socket; errors as gRPC statuses.
import test from 'ava';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PKI_FILES } from '../../controller/pki/layout.js';
import { initPki, issueAgent, issueClient } from '../../controller/pki/keys.js';
import { loadClientTls } from '../../controller/pki/credentials.js';
import { serveAudit, type AuditLog } from '../../controller/audit/index.js';
import {
	AuditServiceClient,
	type GetAuditRunResponse,
	type ListAuditEntriesResponse,
	type VerifyAuditLogResponse,
} from '../../proto/gen/tapfleet/v1/audit.js';
import { BACKENDS, withAuditLog } from './helpers/backends.js';

/** One unary call as a promise: `unary((cb) => client.method(request, cb))`. */
const unary = <Res>(start: (cb: (err: ServiceError | null, res: Res) => void) => unknown) =>
	new Promise<Res>((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res))));

async function fill(log: AuditLog) {
	const run = await log.beginDispatch({ who: 'cert:ctl', hosts: ['web1', 'web2'], moduleHash: 'm1', scriptText: 'probe end {}', options: { leaseSeconds: 30 } });
	await run.hostLoaded('web1', { sessionId: 's1', loadedAtMs: 1234 });
	await run.hostEnded('web1', { endedBy: 'time-limit', outputBytes: 10, outputLines: 2, dropped: 1, firstOutputAtMs: 1300 });
	return run.runId;
}

for (const kind of BACKENDS) {
	test(`${kind}: AuditService answers over mutual TLS`, (t) =>
		withAuditLog(kind, async (log) => {
			const runId = await fill(log);
			const pki = mkdtempSync(join(tmpdir(), 'tapfleet-audit-pki-'));
			t.teardown(() => rmSync(pki, { recursive: true, force: true }));
			await initPki(pki);
			const tls = loadClientTls(await issueClient(pki, 'reader', 'observer'));
			const server = await serveAudit(log, {
				listen: '127.0.0.1:0',
				tls: { ca: join(pki, PKI_FILES.caCert), cert: join(pki, PKI_FILES.controllerCert), key: join(pki, PKI_FILES.controllerKey) },
			});
			t.teardown(() => server.stop());
			// The controller certificate names localhost; an IP as TLS server name is deprecated.
			const overrides = { 'grpc.ssl_target_name_override': 'localhost' };
			const client = new AuditServiceClient(server.address, credentials.createSsl(tls.ca, tls.key, tls.cert), overrides);
			t.teardown(() => client.close());

			const listed = await unary<ListAuditEntriesResponse>((cb) => client.listAuditEntries({ host: 'web1', user: '', sinceUnixMs: 0n, untilUnixMs: 0n, scriptHash: '', limit: 0 }, cb));
			t.is(listed.entries.length, 1);
			t.like(listed.entries[0], { kind: 'run', runId, host: 'web1', who: 'cert:ctl', outcome: 'time-limit' });
			t.false(listed.truncated);

			const { run } = await unary<GetAuditRunResponse>((cb) => client.getAuditRun({ runId }, cb));
			t.like(run, { runId, state: 'incomplete', scriptText: 'probe end {}', optionsJson: '{"leaseSeconds":30}' });
			t.like(run!.hosts[0], { host: 'web1', state: 'ended', sessionId: 's1', loadedUnixMs: 1234n, firstOutputUnixMs: 1300n, endedBy: 'time-limit', outputLines: 2n, dropped: 1n, source: 'controller' });
			t.like(run!.hosts[1], { host: 'web2', state: 'pending' });

			const verified = await unary<VerifyAuditLogResponse>((cb) => client.verifyAuditLog({}, cb));
			t.like(verified, { ok: true, rowsChecked: 5n, firstBrokenSeq: 0n, problem: '' });

			const notFound = await t.throwsAsync(unary((cb) => client.getAuditRun({ runId: 'ffffffffffff' }, cb)));
			t.is((notFound as ServiceError).code, status.NOT_FOUND);
			const invalid = await t.throwsAsync(unary((cb) => client.getAuditRun({ runId: '' }, cb)));
			t.is((invalid as ServiceError).code, status.INVALID_ARGUMENT);
			const badTime = await t.throwsAsync(
				unary((cb) => client.listAuditEntries({ host: '', user: '', sinceUnixMs: -5n, untilUnixMs: 0n, scriptHash: '', limit: 0 }, cb)),
			);
			t.is((badTime as ServiceError).code, status.INVALID_ARGUMENT);
			t.regex((badTime as ServiceError).details, /since_unix_ms must be a positive number/);

			// An agent's certificate comes from the same CA, but agents may not read the audit.
			const agentDir = await issueAgent(pki, 'web1');
			const asAgent = new AuditServiceClient(
				server.address,
				credentials.createSsl(readFileSync(join(agentDir, 'ca.crt')), readFileSync(join(agentDir, 'agent.key')), readFileSync(join(agentDir, 'agent.crt'))),
				overrides,
			);
			t.teardown(() => asAgent.close());
			const denied = await t.throwsAsync(unary((cb) => asAgent.verifyAuditLog({}, cb)));
			t.is((denied as ServiceError).code, status.PERMISSION_DENIED);
			t.regex((denied as ServiceError).details, /identity "web1" \(role agent\) may not read the audit log/);

			// A client without a certificate from this CA is turned away by TLS.
			const stranger = new AuditServiceClient(server.address, credentials.createSsl(tls.ca), overrides);
			t.teardown(() => stranger.close());
			const refused = await t.throwsAsync(unary((cb) => stranger.verifyAuditLog({}, cb)));
			t.is((refused as ServiceError).code, status.UNAVAILABLE);
		}));
}

test('AuditService answers on a unix socket', (t) =>
	withAuditLog('sqlite', async (log) => {
		const runId = await fill(log);
		const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-sock-'));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		const server = await serveAudit(log, { listen: `unix:${join(dir, 'audit.sock')}` });
		t.teardown(() => server.stop());
		const client = new AuditServiceClient(server.address, credentials.createInsecure());
		t.teardown(() => client.close());
		const { run } = await unary<GetAuditRunResponse>((cb) => client.getAuditRun({ runId: runId.slice(0, 4) }, cb));
		t.is(run!.runId, runId);
	}));

test('serving plain TCP needs to be asked for', async (t) =>
	withAuditLog('sqlite', async (log) => {
		await t.throwsAsync(serveAudit(log, { listen: '127.0.0.1:0' }), { message: /needs TLS \(--pki DIR\) or an explicit --plaintext/ });
		await t.throwsAsync(serveAudit(log, { listen: 'nowhere' }), { message: /expected HOST:PORT/ });
	}));
