// pg loaded by controller/audit/pg-load.ts: Node's own sockets (not the
// Cloudflare Workers path), no `navigator` left behind, SCRAM made synchronous.
import test from 'ava';
import { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { pg } from '../../controller/audit/pg-load.js';
import { postgresUrl } from './helpers/backends.js';

test('pg is loaded for Node, leaves no navigator behind, and connects', async (t) => {
	// (Node 21 and later define their own navigator, as a getter: only the shim's value property must be gone)
	t.is(Object.getOwnPropertyDescriptor(globalThis, 'navigator')?.value, undefined);
	const client = new pg.Client(postgresUrl());
	t.true((client as unknown as { connection: { stream: unknown } }).connection.stream instanceof Socket);
	await client.connect();
	t.teardown(() => client.end());
	t.is((await client.query('SELECT 2 AS two')).rows[0].two, 2);
});

test('the same pg module as a plain require, with SCRAM made synchronous', (t) => {
	const require = createRequire(import.meta.url);
	t.is(require('pg'), pg);
	const utils = require('pg/lib/crypto/utils.js') as { deriveKey: { toString(): string } };
	t.regex(utils.deriveKey.toString(), /pbkdf2Sync/);
});
