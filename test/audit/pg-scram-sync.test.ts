// pg's SCRAM steps made synchronous (controller/audit/pg-scram-sync.ts):
// the same bytes as pg's own WebCrypto functions, and a real SCRAM-SHA-256
// login to the test server goes through them (a wrong password still fails).
import test from 'ava';
import { createRequire } from 'node:module';
import pg from 'pg';
import { useSynchronousScram } from '../../controller/audit/pg-scram-sync.js';
import { postgresUrl } from './helpers/backends.js';

type Bytes = ArrayBuffer | Uint8Array;
interface Utils {
	deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<Bytes>;
	hmacSha256(key: Bytes, msg: string): Promise<Bytes>;
	sha256(data: Bytes): Promise<Bytes>;
}
const utils = createRequire(import.meta.url)('pg/lib/crypto/utils.js') as Utils;
const webCrypto = { deriveKey: utils.deriveKey, hmacSha256: utils.hmacSha256, sha256: utils.sha256 };
useSynchronousScram();
const hex = (b: Bytes) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

test.serial('the synchronous functions give the bytes that WebCrypto gives', async (t) => {
	t.not(utils.deriveKey, webCrypto.deriveKey, 'replaced in the module pg calls them through');
	const salt = Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64');
	for (const password of ['tapfleet', 'pässwörd ✓', 'x'.repeat(200)]) {
		const salted = await utils.deriveKey(password, salt, 4096);
		t.is(hex(salted), hex(await webCrypto.deriveKey(password, salt, 4096)), password);
		const clientKey = await utils.hmacSha256(salted, 'Client Key');
		t.is(hex(clientKey), hex(await webCrypto.hmacSha256(salted, 'Client Key')));
		t.is(hex(await utils.sha256(clientKey)), hex(await webCrypto.sha256(clientKey)));
	}
});

test.serial('a SCRAM login to PostgreSQL goes through them; a wrong password is still refused', async (t) => {
	const url = new URL(postgresUrl());
	let derived = 0;
	const deriveKey = utils.deriveKey;
	utils.deriveKey = (...a) => (derived++, deriveKey(...a));
	t.teardown(() => (utils.deriveKey = deriveKey));
	const client = new pg.Client(url.href);
	await client.connect();
	t.teardown(() => client.end());
	t.is((await client.query('SELECT 1 AS one')).rows[0].one, 1);
	t.is(derived, 1, 'the server asked for SCRAM-SHA-256 and the proof was computed here');
	url.password = 'not-the-password';
	const wrong = new pg.Client(url.href);
	await t.throwsAsync(() => wrong.connect(), { message: /password authentication failed/ });
	await wrong.end().catch(() => {});
});
