// Paths and pipes a user gets wrong must give a clear message or a quiet
// stop, never a hang or a stack trace.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirs } from '../../controller/util/make-dirs.js';

const tapfleet = fileURLToPath(new URL('../../../bin/tapfleet', import.meta.url));

test('makeDirs creates every missing level with the mode asked for, and is idempotent', (t) => {
	const base = mkdtempSync(join(tmpdir(), 'tapfleet-dirs-'));
	const deep = join(base, 'a', 'b', 'c');
	makeDirs(deep, 0o700);
	makeDirs(deep, 0o700);
	t.true(statSync(deep).isDirectory());
	t.is(statSync(join(base, 'a')).mode & 0o777, 0o700);
});

test('makeDirs reports a file in the way, and a path under /proc, instead of looping', (t) => {
	const base = mkdtempSync(join(tmpdir(), 'tapfleet-dirs-'));
	writeFileSync(join(base, 'file'), '');
	t.throws(() => makeDirs(join(base, 'file', 'sub')), { code: 'ENOTDIR' });
	t.throws(() => makeDirs('/proc/no-such-dir/sub'), { code: 'ENOENT' });
});

test('tapfleet audit --audit-db under /proc: one clear line and status 1, no hang', (t) => {
	const r = spawnSync(tapfleet, ['audit', '--audit-db', '/proc/no-such-dir/audit.db'], { encoding: 'utf8', timeout: 60_000 });
	t.is(r.signal, null);
	t.is(r.status, 1);
	t.regex(r.stderr, /^tapfleet audit: cannot open audit database \/proc\/no-such-dir\/audit\.db: /);
	t.notRegex(r.stderr, /\n\s+at /);
});

test('a listing piped into a reader that goes away ends quietly with status 0', (t) => {
	const state = mkdtempSync(join(tmpdir(), 'tapfleet-state-'));
	const env = { ...process.env, XDG_STATE_HOME: state };
	// Enough records that the listing outlives `head -c 1`.
	for (let i = 0; i < 3; i++) {
		const run = spawnSync(tapfleet, ['run', '-e', 'probe begin { println("x") exit() }'], { encoding: 'utf8', env, timeout: 120_000 });
		t.is(run.status, 0, run.stderr);
	}
	const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${tapfleet}" audit --json | head -c 1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8', env, timeout: 60_000 });
	t.regex(r.stdout, /status=0/);
	t.notRegex(r.stderr, /EPIPE|\n\s+at /);
});
