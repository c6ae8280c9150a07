// taprun's output cut into records: bytes in, the same bytes out, records
// of whole 0x0a-terminated lines within the size limit, however the pipe
// happened to split the stream.
import test from 'ava';
import fc from 'fast-check';
import { LineChunker } from '../../agent/line-chunker.js';

/** Feeds `chunks`, then ends; returns the records. */
function chunk(max: number, chunks: Uint8Array[]): Buffer[] {
	const out: Buffer[] = [];
	const lines = new LineChunker(max, (b) => out.push(Buffer.from(b)));
	for (const c of chunks) lines.push(Buffer.from(c));
	lines.end();
	return out;
}

// Bytes biased towards 0x0a so that lines are short and frequent.
const byte = fc.oneof(fc.constant(0x0a), fc.integer({ min: 0, max: 255 }));
const chunks = fc.array(fc.array(byte, { maxLength: 60 }).map((a) => Uint8Array.from(a)), { maxLength: 20 });

test('records concatenate to the input, stay within the limit, and end at a newline unless full or last', (t) => {
	fc.assert(
		fc.property(fc.integer({ min: 1, max: 40 }), chunks, (max, parts) => {
			const input = Buffer.concat(parts.map((p) => Buffer.from(p)));
			const records = chunk(max, parts);
			t.true(Buffer.concat(records).equals(input));
			records.forEach((r, i) => {
				t.true(r.length > 0 && r.length <= max);
				const last = i === records.length - 1;
				// a record is cut early only after a newline; a full one may end anywhere
				t.true(r[r.length - 1] === 0x0a || r.length === max || last, `record ${i}: ${r.toString('hex')}`);
			});
		}),
	);
});

test('every byte value passes unchanged, a line per 0x0a', (t) => {
	const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
	const records = chunk(64 * 1024, [all.subarray(0, 100), all.subarray(100)]);
	t.deepEqual(records.map((r) => r.length), [11, 245]);
	t.true(Buffer.concat(records).equals(all));
});

test('a partial line that waits goes out as it is after the idle time; more bytes first put it off; end() leaves no timer', async (t) => {
	const out: string[] = [];
	const lines = new LineChunker(1024, (b) => out.push(b.toString('latin1')), 50);
	lines.push(Buffer.from('one\nwork'));
	t.deepEqual(out, ['one\n']);
	await new Promise((r) => setTimeout(r, 20));
	lines.push(Buffer.from('ing...'));
	await new Promise((r) => setTimeout(r, 20));
	t.deepEqual(out, ['one\n'], 'put off by the second push');
	await new Promise((r) => setTimeout(r, 150));
	t.deepEqual(out, ['one\n', 'working...']);
	lines.push(Buffer.from('done\nlast'));
	lines.end();
	t.deepEqual(out, ['one\n', 'working...', 'done\n', 'last']);
	await new Promise((r) => setTimeout(r, 150));
	t.is(out.length, 4, 'nothing after end()');
});
