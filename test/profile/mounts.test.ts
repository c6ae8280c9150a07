// Mounting tracefs where it is missing, on a private directory so that the
// host's own /sys/kernel/tracing is never disturbed.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMounted } from '../../controller/profile/mounts.js';

test('tracefs is mounted on the first candidate when no candidate has it, and found there afterwards', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-tracefs-'));
	try {
		t.deepEqual(await ensureMounted('tracefs', [dir], 'events'), { path: dir });
		t.true(existsSync(join(dir, 'events', 'syscalls')));
		t.deepEqual(await ensureMounted('tracefs', [join(dir, 'absent'), dir], 'events'), { path: dir }, 'an existing mount is found, not remounted');
	} finally {
		execFileSync('umount', [dir]);
		rmdirSync(dir);
	}
});

test('a filesystem that cannot be mounted gives a reason, not an exception', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-nofs-'));
	try {
		const r = await ensureMounted('tapfleet-no-such-fs', [dir], 'x');
		t.true('reason' in r);
		t.regex((r as { reason: string }).reason, /tapfleet-no-such-fs is not mounted and mounting it on .* failed: /);
	} finally {
		rmdirSync(dir);
	}
});
