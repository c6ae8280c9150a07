// Where the audit log lives, and how --since/--until read times.
import test from 'ava';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAuditDbPath, openAuditLog, parseAuditDb, parseTimeSpec } from '../../controller/audit/index.js';

test('the default audit log follows XDG_STATE_HOME', (t) => {
	t.is(defaultAuditDbPath({ XDG_STATE_HOME: '/var/st', HOME: '/home/a' }), '/var/st/tapfleet/audit.db');
	t.is(defaultAuditDbPath({ HOME: '/home/a' }), '/home/a/.local/state/tapfleet/audit.db');
	t.is(defaultAuditDbPath({ XDG_STATE_HOME: 'relative', HOME: '/home/a' }), '/home/a/.local/state/tapfleet/audit.db');
	t.deepEqual(parseAuditDb(undefined, { HOME: '/h' }), { kind: 'sqlite', path: '/h/.local/state/tapfleet/audit.db' });
	t.deepEqual(parseAuditDb(undefined, { HOME: '/h', TAPFLEET_AUDIT_DB: 'sqlite:/x/a.db' }), { kind: 'sqlite', path: '/x/a.db' });
});

test('audit database URLs are parsed, and their passwords kept out of messages', (t) => {
	t.like(parseAuditDb('postgres://u:pw@db:5432/audit?schema=prod_1'), {
		kind: 'postgres',
		url: 'postgres://u:pw@db:5432/audit',
		schema: 'prod_1',
		location: 'postgres://u:***@db:5432/audit?schema=prod_1',
	});
	t.like(parseAuditDb('postgresql://db/audit'), { kind: 'postgres', schema: undefined });
	t.throws(() => parseAuditDb('postgres://u:pw@db/a?schema=x;drop'), { message: /schema "x;drop" must be lower-case/ });
	t.throws(() => parseAuditDb('mysql://u:pw@db/a'), { message: 'unsupported audit database "mysql://u:***@db/a": use postgres://..., sqlite:PATH or a file path' });
	t.throws(() => parseAuditDb('sqlite:'), { message: /names no file/ });
});

test('--since and --until accept dates, ages and now', (t) => {
	const now = Date.parse('2026-11-27T12:00:00Z');
	t.is(parseTimeSpec('--since', 'now', now), now);
	t.is(parseTimeSpec('--since', '2h', now), now - 2 * 3600_000);
	t.is(parseTimeSpec('--since', '7d', now), now - 7 * 86_400_000);
	t.is(parseTimeSpec('--since', '2026-11-27', now), Date.parse('2026-11-27'));
	t.is(parseTimeSpec('--until', '2026-11-27T10:30:00Z', now), Date.parse('2026-11-27T10:30:00Z'));
	t.is(parseTimeSpec('--until', '1764244800000', now), 1764244800000);
	t.throws(() => parseTimeSpec('--since', 'last tuesday', now), { message: /--since "last tuesday": expected/ });
	t.throws(() => parseTimeSpec('--since', '2026-13-45', now), { message: /expected/ });
});

test('a new SQLite audit log is readable by its owner only', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-audit-mode-'));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const path = join(dir, 'state', 'audit.db');
	await (await openAuditLog(path)).close();
	t.is(statSync(path).mode & 0o777, 0o600);
	t.is(statSync(join(dir, 'state')).mode & 0o777, 0o700);
});
