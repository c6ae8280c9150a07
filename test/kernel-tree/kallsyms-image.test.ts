// Decoding the kernel's compressed kallsyms table from .rodata, on tables
// laid out here as scripts/kallsyms.c lays them out (with and without the
// 6.2 kallsyms_seqs_of_names, names long enough for a two-byte length).
// The real image is checked against the running guest in test/vm.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { kallsymsFromRodata, kallsymsFromVmlinux } from '../../controller/kernel-tree/kallsyms-image.js';

const align8 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
const u32 = (n: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(n);
	return b;
};

/** A .rodata with unrelated bytes around a kallsyms table of `symbols` ("T name" → type letter then name). */
function rodata(symbols: string[], seqBytes: 0 | 3): Buffer {
	// Token i is the character i itself, so a name encodes as its bytes.
	const tokens = Array.from({ length: 256 }, (_, i) => (i === 0 ? '\u0001\u0001' : String.fromCharCode(i)));
	const names: Buffer[] = [];
	const markers: number[] = [];
	let offset = 0;
	symbols.forEach((sym, i) => {
		if (i % 256 === 0) markers.push(offset);
		const body = Buffer.from(sym[0] + sym.slice(2), 'latin1');
		const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x80 | (body.length & 0x7f), body.length >> 7]);
		names.push(len, body);
		offset += len.length + body.length;
	});
	const table = Buffer.from(tokens.map((t) => `${t}\0`).join(''), 'latin1');
	const index = Buffer.alloc(512);
	let at = 0;
	tokens.forEach((t, i) => {
		index.writeUInt16LE(at, 2 * i);
		at += t.length + 1;
	});
	return Buffer.concat([
		align8(Buffer.from('unrelated data before 0\x001\x002\x00', 'latin1')),
		align8(u32(symbols.length)),
		align8(Buffer.concat(names)),
		align8(Buffer.concat(markers.map(u32))),
		align8(Buffer.alloc(seqBytes * symbols.length, 0x5a)),
		align8(table),
		index,
		Buffer.from('and after'),
	]);
}

const symbols = Array.from({ length: 700 }, (_, i) => `${'TtDdbr'[i % 6]} sym_${i}`);
symbols.push(`T ${'very_long_'.repeat(20)}name`);

for (const seqBytes of [0, 3] as const) {
	test(`a table ${seqBytes ? 'with' : 'without'} kallsyms_seqs_of_names decodes to its symbols`, (t) => {
		t.deepEqual(kallsymsFromRodata(rodata(symbols, seqBytes)), symbols);
	});
}

test('a table whose markers disagree with its names is not used', (t) => {
	const ro = rodata(symbols, 3);
	// Corrupt the first name's length: decoding runs out of step with the markers.
	const numAt = ro.indexOf(u32(symbols.length));
	ro[numAt + 8] = 5;
	t.is(kallsymsFromRodata(ro), undefined);
});

test('an ELF file without a kernel symbol table gives none', (t) => {
	t.is(kallsymsFromVmlinux(readFileSync('/bin/true')), undefined);
});
