// bin/tapfleet starts Node without NODE_EXTRA_CA_CERTS (Node 20 parses the
// file at every start); the certificates still count where Node would have
// used them (TLS without a `ca` of its own), and child processes see the
// variable as the user set it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createCa, issueLeaf, type PemPair } from '../../controller/pki/certificates.js';
import { trustDeferredExtraCa } from '../../controller/util/extra-ca.js';

const tapfleet = fileURLToPath(new URL('../../../bin/tapfleet', import.meta.url));

async function tlsServer(ca: PemPair): Promise<{ port: number; close(): void }> {
	const leaf = await issueLeaf(ca, { commonName: 'db.example', role: 'agent', altNames: ['localhost'] });
	const server = tls.createServer({ key: leaf.keyPem, cert: leaf.certPem + ca.certPem }, (s) => s.end());
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** The handshake's outcome: 'ok' or the verification error's code. */
function handshake(port: number, ca?: string): Promise<string> {
	return new Promise((resolve) => {
		const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...(ca ? { ca } : {}) }, () => {
			s.destroy();
			resolve('ok');
		});
		s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
	});
}

test('deferred NODE_EXTRA_CA_CERTS: trusted by TLS without its own ca, read only when first needed; an own ca is left alone', async (t) => {
	const [dbCa, otherCa] = await Promise.all([createCa('database CA'), createCa('unrelated CA')]);
	const [db, other] = await Promise.all([tlsServer(dbCa), tlsServer(otherCa)]);
	try {
		t.not(await handshake(db.port), 'ok', 'the test CA is not trusted by default');
		const file = join(mkdtempSync(join(tmpdir(), 'tapfleet-ca-')), 'extra.pem');
		trustDeferredExtraCa(file);
		// written after installing: the file is read at the first context without ca, not before
		writeFileSync(file, otherCa.certPem + dbCa.certPem);
		t.not(await handshake(db.port, otherCa.certPem), 'ok', 'a context with its own ca trusts only that');
		t.is(await handshake(db.port), 'ok');
		t.is(await handshake(other.port), 'ok');
		t.is(await handshake(db.port, dbCa.certPem), 'ok');
	} finally {
		db.close();
		other.close();
	}
});

test('the -c command sees NODE_EXTRA_CA_CERTS as given, whether tapfleet starts through its first line or as `node bin/tapfleet`', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-ca dir-'));
	const file = join(dir, 'extra ca.pem');
	writeFileSync(file, (await createCa('extra CA')).certPem);
	const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), NODE_EXTRA_CA_CERTS: file };
	const args = ['run', '-c', 'printenv NODE_EXTRA_CA_CERTS TAPFLEET_NODE_EXTRA_CA_CERTS', '-e', 'probe begin { }'];
	for (const [cmd, argv] of [[tapfleet, args], [process.execPath, [tapfleet, ...args]]] as const) {
		const r = spawnSync(cmd, argv, { encoding: 'utf8', env, timeout: 120_000 });
		// printenv: the first is set, the second is not (status 1, so the run reports it)
		t.is(r.stdout, `${file}\n`, r.stderr);
		t.notRegex(r.stderr, /Ignoring extra certs|\n\s+at /);
	}
});
