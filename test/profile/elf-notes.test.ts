import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ElfNoteError, gnuBuildIdFromElf, gnuBuildIdFromNotes, gnuBuildIdOfElfFile, notesFromElf } from '../../controller/profile/elf-notes.js';

// What `readelf -n` calls "Build ID", the reference we must agree with.
function readelfBuildId(path: string): string | undefined {
	const out = execFileSync('readelf', ['-n', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
	return /Build ID: ([0-9a-f]+)/.exec(out)?.[1];
}

const elfWithBuildId = ['/bin/ls', '/usr/bin/node', '/usr/lib/x86_64-linux-gnu/libc.so.6'];

for (const path of elfWithBuildId) {
	test(`build-id of ${path} equals readelf -n`, (t) => {
		const expected = readelfBuildId(path);
		t.truthy(expected, 'readelf finds a build-id');
		t.is(gnuBuildIdFromElf(readFileSync(path)), expected);
		t.is(gnuBuildIdOfElfFile(path), expected);
	});
}

test('notes of /bin/ls include the ABI tag and the build-id, as readelf lists them', (t) => {
	const notes = notesFromElf(readFileSync('/bin/ls'));
	const kinds = notes.map((n) => `${n.name}:${n.type}`);
	t.true(kinds.includes('GNU:3'));
	t.true(kinds.includes('GNU:1'), 'NT_GNU_ABI_TAG');
	t.true(kinds.includes('GNU:5'), 'NT_GNU_PROPERTY_TYPE_0 (8-aligned section) parsed');
});

test('the running kernel build-id from /sys/kernel/notes is 40 hex digits', (t) => {
	const id = gnuBuildIdFromNotes(readFileSync('/sys/kernel/notes'));
	t.regex(id ?? '', /^[0-9a-f]{40}$/);
});

test('a hand-built note stream, little and big endian', (t) => {
	const build = (le: boolean) => {
		const b = Buffer.alloc(12 + 4 + 4);
		const w = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
		w(4, 0); w(4, 4); w(3, 8);
		b.write('GNU\0', 12, 'latin1');
		Buffer.from([0xde, 0xad, 0xbe, 0xef]).copy(b, 16);
		return b;
	};
	t.is(gnuBuildIdFromNotes(build(true), { littleEndian: true }), 'deadbeef');
	t.is(gnuBuildIdFromNotes(build(false), { littleEndian: false }), 'deadbeef');
});

test('a stream with no build-id gives undefined; a truncated one an ElfNoteError', (t) => {
	t.is(gnuBuildIdFromNotes(Buffer.alloc(0)), undefined);
	const b = Buffer.alloc(16);
	b.writeUInt32LE(4, 0); b.writeUInt32LE(100, 4); b.writeUInt32LE(3, 8);
	t.throws(() => gnuBuildIdFromNotes(b), { instanceOf: ElfNoteError, message: /truncated note/ });
});

test('a file that is not ELF is rejected clearly', (t) => {
	t.throws(() => gnuBuildIdFromElf(Buffer.from('#!/bin/sh\necho hi\n')), { instanceOf: ElfNoteError, message: /not an ELF file/ });
	t.throws(() => gnuBuildIdOfElfFile('/etc/passwd'), { instanceOf: ElfNoteError });
});
