// scripts/services/postgres.sh start is idempotent and silent once all is in place.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresUrl } from './helpers/backends.js';

const script = fileURLToPath(new URL('../../../scripts/services/postgres.sh', import.meta.url));

test('postgres.sh start is silent when the server is up, and the test database answers', async (t) => {
	const r = spawnSync('bash', [script, 'start'], { encoding: 'utf8' });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout + r.stderr, '');
	const client = new pg.Client(postgresUrl());
	await client.connect();
	t.teardown(() => client.end());
	const { rows } = await client.query("SELECT current_user AS who, current_setting('server_encoding') AS enc");
	t.deepEqual(rows[0], { who: 'tapfleet', enc: 'UTF8' });
});

test('postgres.sh refuses an unknown action', (t) => {
	const r = spawnSync('bash', [script, 'frobnicate'], { encoding: 'utf8' });
	t.is(r.status, 1);
	t.regex(r.stderr, /usage: .*postgres\.sh start/);
});
