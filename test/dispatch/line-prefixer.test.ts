// `--prefix` merging: each host's lines reach stdout whole with one prefix,
// however its output was cut into records, and a line that never ends is
// bounded.
import test from 'ava';
import fc from 'fast-check';
import { LinePrefixer, MAX_HELD_BYTES, MAX_HELD_LINE_BYTES } from '../../controller/dispatch/line-prefixer.js';

const P = Buffer.from('h1: ');
const Q = Buffer.from('h2: ');

/** The lines of `out` (0x0a-terminated, the last maybe not). */
function lines(out: Buffer): Buffer[] {
	const found: Buffer[] = [];
	for (let s = 0; s < out.length; ) {
		const nl = out.indexOf(0x0a, s);
		const e = nl === -1 ? out.length : nl + 1;
		found.push(out.subarray(s, e));
		s = e;
	}
	return found;
}

const byte = fc.oneof(fc.constant(0x0a), fc.integer({ min: 0, max: 255 }));
const records = fc.array(fc.array(byte, { maxLength: 50 }).map((a) => Buffer.from(a)), { maxLength: 20 });

test('two hosts, records cut anywhere, interleaved: every line whole, one prefix each, bytes unchanged', (t) => {
	fc.assert(
		fc.property(records, records, fc.array(fc.boolean(), { maxLength: 40 }), (a, b, order) => {
			const p = new LinePrefixer();
			const merged: Buffer[] = [];
			const [qa, qb] = [[...a], [...b]];
			for (const first of order) {
				const [q, key, prefix] = first ? [qa, 'a', P] : [qb, 'b', Q];
				if (q.length > 0) merged.push(p.write(key, prefix, q.shift()!));
			}
			for (const r of qa) merged.push(p.write('a', P, r));
			for (const r of qb) merged.push(p.write('b', Q, r));
			merged.push(p.flush('a', P), p.flush('b', Q));
			// Demultiplex by prefix: each host gets back exactly its bytes.
			const back = { a: [] as Buffer[], b: [] as Buffer[] };
			for (const l of lines(Buffer.concat(merged))) {
				if (l.subarray(0, 4).equals(P)) back.a.push(l.subarray(4));
				else if (l.subarray(0, 4).equals(Q)) back.b.push(l.subarray(4));
				else return false;
			}
			// A last line without its end is ended when flushed.
			const ended = (rs: Buffer[]) => {
				const all = Buffer.concat(rs);
				return all.length > 0 && all[all.length - 1] !== 0x0a ? Buffer.concat([all, Buffer.from('\n')]) : all;
			};
			return Buffer.concat(back.a).equals(ended(a)) && Buffer.concat(back.b).equals(ended(b));
		}),
	);
	t.pass();
});

test('a line is held until its end comes, then written with one prefix; flush writes an unfinished last line, ended', (t) => {
	const p = new LinePrefixer();
	t.is(p.write('a', P, Buffer.from('abc')).length, 0);
	t.is(p.write('a', P, Buffer.from('def')).length, 0);
	t.is(p.write('a', P, Buffer.from('g\nxy')).toString(), 'h1: abcdefg\n');
	t.is(p.flush('a', P).toString(), 'h1: xy\n');
	t.is(p.flush('a', P).length, 0, 'nothing twice');
});

test(`a line longer than ${MAX_HELD_LINE_BYTES} bytes goes out in parts, the prefix only before the first`, (t) => {
	const p = new LinePrefixer();
	const part = Buffer.alloc(100 * 1024, 0x78);
	const out = [p.write('a', P, part), p.write('a', P, part), p.write('a', P, part), p.write('a', P, Buffer.from('end\n'))];
	t.is(out[0]!.length + out[1]!.length, 0, 'held while within the bound');
	t.is(out[2]!.length, P.length + 3 * part.length, 'over the bound: written, with its prefix');
	t.is(out[3]!.toString(), 'end\n', 'the rest of that line: no prefix');
	t.is(p.write('a', P, Buffer.from('next\n')).toString(), 'h1: next\n');
	t.is(p.write('a', P, part).length, 0);
	t.is(p.write('a', P, part).length, 0);
	t.is(p.write('a', P, part).length, P.length + 3 * part.length);
	t.is(p.flush('a', P).toString(), '\n', 'a long last line, partly written: only its end');
});

test(`all hosts' unfinished lines together are bounded (${MAX_HELD_BYTES} bytes)`, (t) => {
	const p = new LinePrefixer();
	const part = Buffer.alloc(200 * 1024, 0x79); // within one line's bound
	const outs = Array.from({ length: 100 }, (_, h) => p.write(`h${h}`, P, part));
	const written = outs.filter((o) => o.length > 0);
	// 100 x 200 KiB is over the bound: the lines that would pass it go out (with their prefix) instead of being held.
	t.true(written.length > 0);
	for (const o of written) t.is(o.length, P.length + part.length);
	t.true((outs.length - written.length) * part.length <= MAX_HELD_BYTES);
});
