// The bounded, sequenced output buffer: numbering, eviction within limits,
// and waiting for records.
import test from 'ava';
import fc from 'fast-check';
import { OutputBuffer } from '../../agent/output-buffer.js';

test('records are numbered from 1; the oldest fall out past the byte and count limits; the newest always stays', (t) => {
	fc.assert(
		fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 200 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 50 }), (texts, maxBytes, maxRecords) => {
			const buf = new OutputBuffer({ maxBytes, maxRecords });
			texts.forEach((bytes, i) => t.is(buf.append({ kind: 'stdout', data: Buffer.from(bytes) }).seq, i + 1));
			t.is(buf.nextSeq, texts.length + 1);
			const held = buf.nextSeq - buf.firstSeq;
			t.true(held <= Math.max(1, maxRecords) || texts.length === 0);
			t.true(buf.bufferedBytes <= maxBytes || held === 1);
			t.is(buf.evictedRecords, buf.firstSeq - 1);
			for (let s = buf.firstSeq; s < buf.nextSeq; s++) t.deepEqual(buf.get(s)!.body, { kind: 'stdout', data: Buffer.from(texts[s - 1]!) });
			t.is(buf.get(buf.firstSeq - 1), undefined);
			t.is(buf.get(buf.nextSeq), undefined);
		}),
	);
});

test('a gap is sized in bytes from the offset of the first missing record', (t) => {
	const buf = new OutputBuffer({ maxBytes: 10, maxRecords: 100 });
	for (let i = 0; i < 10; i++) buf.append({ kind: 'stdout', data: Buffer.from('abcd\n') });
	t.is(buf.firstSeq, 9);
	t.is(buf.bytesBefore(0), 40);
	t.is(buf.bytesBefore(undefined), 0, 'unknown when the reader never saw where it was');
});

test('waiting resolves on a new record and on close; appending after the exit record is refused', async (t) => {
	const buf = new OutputBuffer();
	let woke = false;
	const waiting = buf.waitFor(1).then(() => (woke = true));
	t.false(woke);
	buf.append({ kind: 'stderr', data: Buffer.from('warning\n') });
	await waiting;
	t.true(woke);
	const closing = buf.waitFor(5);
	buf.append({ kind: 'exit', exitCode: 0, signal: '', reason: 'exited' });
	await closing;
	t.true(buf.closed);
	t.throws(() => buf.append({ kind: 'stdout', data: Buffer.from('late') }), { message: /closed/ });
});

test('compaction keeps numbering and lookups right over many evictions', (t) => {
	const buf = new OutputBuffer({ maxBytes: 1 << 20, maxRecords: 10 });
	for (let i = 1; i <= 20_000; i++) buf.append({ kind: 'stdout', data: Buffer.from(`${i}\n`) });
	t.is(buf.firstSeq, 19_991);
	t.deepEqual(buf.get(20_000)!.body, { kind: 'stdout', data: Buffer.from('20000\n') });
	t.deepEqual(buf.get(19_991)!.body, { kind: 'stdout', data: Buffer.from('19991\n') });
});
