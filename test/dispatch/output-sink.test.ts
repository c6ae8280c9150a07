// The merged output of `tapfleet run`: an agent sends a line's start on its
// own when the line waits (agent/line-chunker.ts). One host's output goes
// out as it comes, so the start shows at once; the plain output of several
// hosts goes out in whole lines, so that no host's line is cut by another's.
import test from 'ava';
import { Writable } from 'node:stream';
import { createSink } from '../../controller/dispatch/output-sink.js';
import { OutputStream, type OutputRecord } from '../../proto/gen/tapfleet/v1/agent.js';

function collector(): { stream: Writable; text: () => string } {
	const chunks: Buffer[] = [];
	return { stream: new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }), text: () => Buffer.concat(chunks).toString('latin1') };
}

let seq = 1n;
const text = (data: string): OutputRecord => ({ seq: seq++, text: { stream: OutputStream.OUTPUT_STREAM_STDOUT, data: Buffer.from(data, 'latin1') } }) as OutputRecord;

test('one host: a partial line goes out at once', (t) => {
	const out = collector();
	const sink = createSink('plain', { stdout: out.stream, stderr: collector().stream }, 1);
	sink.record('a', 's', text('work'));
	t.is(out.text(), 'work');
	sink.record('a', 's', text('ing\n'));
	t.is(out.text(), 'working\n');
});

test('several hosts, plain: whole lines only, a host\'s line never cut by another\'s; at the end each host\'s unfinished line, ended', (t) => {
	const out = collector();
	const sink = createSink('plain', { stdout: out.stream, stderr: collector().stream }, 2);
	sink.record('a', 's', text('work'));
	sink.record('b', 's', text('other\nhalf'));
	t.is(out.text(), 'other\n');
	sink.record('a', 's', text('ing\nnext'));
	t.is(out.text(), 'other\nworking\n');
	sink.end?.();
	t.is(out.text(), 'other\nworking\nnext\nhalf\n');
});
