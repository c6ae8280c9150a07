// taprun's reading of a user-space file's identity (runtime-c/taprun/
// file_id.c: the GNU build-id note through libelf, else SHA-256 of the
// bytes) and its check of a manifest's userFiles (user_files.c), driven
// through test/runtime-c/unit/file_id_unit.c. What it reads must be what
// the controller recorded (controller/module/user-files.ts) and what
// `readelf -n` shows.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfBuildId, fileIdentity } from '../../controller/module/user-files.js';
import { repoRoot } from '../fixtures/modules/build-module.js';

const taprunDir = join(repoRoot, 'runtime-c', 'taprun');
const work = mkdtempSync(join(tmpdir(), 'tap-file-id-'));
const unit = join(work, 'file_id_unit');
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const BASH = '/usr/bin/bash';

test.before(() => {
	const sources = ['file_id.c', 'sha256.c', 'user_files.c', 'json.c'].map((f) => join(taprunDir, f));
	execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-I', taprunDir, join(repoRoot, 'test', 'runtime-c', 'unit', 'file_id_unit.c'), ...sources, '-lelf', '-o', unit]);
});

function unitRun(...args: string[]): { status: number | null; out: string } {
	const r = spawnSync(unit, args, { encoding: 'utf8' });
	return { status: r.status, out: r.stdout };
}

const readelfBuildId = (file: string): string => /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', file], { encoding: 'utf8' }))![1]!;

/** A copy of `file` without its build-id note. */
function withoutNote(file: string, name: string): string {
	const out = join(work, name);
	execFileSync('objcopy', ['--remove-section', '.note.gnu.build-id', file, out]);
	return out;
}

test('the GNU build-id of libc and bash: as readelf -n shows it, and as the controller records it', (t) => {
	for (const file of [LIBC, BASH]) {
		const id = readelfBuildId(file);
		t.deepEqual(unitRun('id', file), { status: 0, out: `build-id ${id}\n` });
		t.is(elfBuildId(readFileSync(file)), id);
	}
});

test('with the section headers gone the PT_NOTE segment still gives the build-id', (t) => {
	// e_shoff/e_shnum zeroed: what a stripped-to-the-bone file looks like to a reader
	const buf = Buffer.from(readFileSync('/bin/true'));
	buf.writeBigUInt64LE(0n, 40);
	buf.writeUInt16LE(0, 60);
	buf.writeUInt16LE(0, 62);
	const file = join(work, 'true-no-sections');
	writeFileSync(file, buf);
	const id = readelfBuildId('/bin/true');
	t.deepEqual(unitRun('id', file), { status: 0, out: `build-id ${id}\n` });
	t.is(elfBuildId(buf), id);
});

test('no build-id note: the SHA-256 of the whole file (several 64 KiB reads), the same on both sides', (t) => {
	for (const [src, name] of [['/bin/true', 'true-noid'], [BASH, 'bash-noid']] as const) {
		const file = withoutNote(src, name);
		const bytes = readFileSync(file);
		const sha = createHash('sha256').update(bytes).digest('hex');
		t.deepEqual(unitRun('id', file), { status: 0, out: `sha256 ${sha}\n` });
		t.deepEqual(fileIdentity(bytes), { kind: 'sha256', id: sha });
	}
});

test('not an ELF file, or no file: an error naming it', (t) => {
	const text = join(work, 'text');
	writeFileSync(text, 'hello\n');
	t.deepEqual(unitRun('id', text), { status: 1, out: `-8 ${text} is not an ELF file\n` });
	t.deepEqual(unitRun('id', join(work, 'absent')), { status: 1, out: `-2 cannot open ${join(work, 'absent')}: No such file or directory\n` });
});

function checkManifest(userFiles: unknown): { status: number | null; out: string } {
	const file = join(work, `manifest-${Math.random().toString(36).slice(2)}.json`);
	writeFileSync(file, JSON.stringify({ formatVersion: 1, ...(userFiles === undefined ? {} : { userFiles }) }));
	return unitRun('check', file);
}

test('userFiles: every file as recorded passes; none listed passes', (t) => {
	const libc = { path: LIBC, kind: 'build-id', id: readelfBuildId(LIBC), probe: `process("${LIBC}").function("setpriority")` };
	const noid = withoutNote('/bin/true', 'true-noid-2');
	const hashed = { path: noid, kind: 'sha256', id: createHash('sha256').update(readFileSync(noid)).digest('hex'), probe: `process("${noid}").function("main")` };
	t.deepEqual(checkManifest([libc, hashed]), { status: 0, out: 'ok\n' });
	t.deepEqual(checkManifest(undefined), { status: 0, out: 'ok\n' });
	t.deepEqual(checkManifest([]), { status: 0, out: 'ok\n' });
});

test('userFiles: another build is a Build-id mismatch naming the file, both ids (this host\'s first) and the probe', (t) => {
	const copy = join(work, 'libc-copy');
	copyFileSync(LIBC, copy);
	const have = readelfBuildId(LIBC);
	const want = 'ab'.repeat(20);
	const probe = `process("${copy}").function("setpriority")`;
	t.deepEqual(checkManifest([{ path: copy, kind: 'build-id', id: want, probe }]), {
		status: 1,
		out: `Build-id mismatch: "${copy}" (0x${have} vs 0x${want}): this host's file (first) is not the one the module was compiled against (second), so probe ${probe} would attach at the wrong place; compile the script against this host's copy of the file\n`,
	});
	// recorded as hashed (no note on the controller's copy), a note here: a mismatch too
	const r = checkManifest([{ path: copy, kind: 'sha256', id: 'cd'.repeat(32), probe }]);
	t.is(r.status, 1);
	t.true(r.out.startsWith(`Build-id mismatch: "${copy}" (0x${have} vs sha256:${'cd'.repeat(32)})`), r.out);
});

test('userFiles: a missing file, a non-ELF file, a malformed entry', (t) => {
	const absent = join(work, 'absent-lib.so');
	const probe = `process("${absent}").function("f")`;
	t.deepEqual(checkManifest([{ path: absent, kind: 'build-id', id: 'aa', probe }]), { status: 1, out: `probe ${probe}: cannot find ${absent} (-ENOENT)\n` });
	const text = join(work, 'text2');
	writeFileSync(text, 'not elf');
	t.deepEqual(checkManifest([{ path: text, kind: 'build-id', id: 'aa', probe: 'p' }]), { status: 1, out: `probe p: ${text} is not an ELF file\n` });
	for (const bad of [{ path: 'relative', kind: 'build-id', id: 'aa', probe: 'p' }, { path: LIBC, kind: 'md5', id: 'aa', probe: 'p' }, { path: LIBC, kind: 'build-id', id: 'aa' }]) {
		t.deepEqual(checkManifest([bad]), { status: 1, out: 'manifest.json: bad userFiles entry\n' }, JSON.stringify(bad));
	}
	t.deepEqual(checkManifest({ path: LIBC }), { status: 1, out: 'manifest.json: userFiles is not a list\n' });
});
