// Streams one session's records to one subscriber from a sequence number,
// at the subscriber's pace: it waits for gRPC's flow control ('drain')
// rather than queueing without bound, and when records fell out of the
// buffer before it could read them, it sends a `dropped` record with the
// count instead of a silent gap.
import type { OutputRecord } from '../proto/gen/tapfleet/v1/agent.js';
import type { OutputBuffer } from './output-buffer.js';
import { toOutputRecord } from './records.js';

export interface GapReport {
	records: number;
	bytes: number;
}

/** The server side of a call that sends `{ record }` messages: StreamOutput, LoadAndStream. */
export interface RecordWriter {
	write(msg: { record: OutputRecord }): boolean;
	end(): void;
	on(event: 'cancelled' | 'close' | 'drain', listener: () => void): unknown;
	off(event: 'cancelled' | 'close' | 'drain', listener: () => void): unknown;
}

export async function streamRecords(
	call: RecordWriter,
	output: OutputBuffer,
	fromSeq: number,
	onGap: (gap: GapReport) => void,
): Promise<void> {
	let cancelled = false;
	const cancel = () => {
		cancelled = true;
		output.wake();
	};
	call.on('cancelled', cancel);
	call.on('close', cancel);
	let next = fromSeq > 0 ? fromSeq : output.firstSeq;
	// Offset of the next record, once known, to size a gap in bytes.
	let nextOffset: number | undefined;
	try {
		while (!cancelled) {
			if (next < output.firstSeq) {
				const gap = { records: output.firstSeq - next, bytes: output.bytesBefore(nextOffset) };
				onGap(gap);
				if (!(await write(call, { record: { seq: 0n, dropped: { firstSeq: BigInt(next), records: BigInt(gap.records), bytes: BigInt(gap.bytes) } } }))) break;
				next = output.firstSeq;
				nextOffset = undefined;
			}
			const rec = output.get(next);
			if (!rec) {
				if (output.closed) break;
				await output.waitFor(next);
				continue;
			}
			next++;
			nextOffset = rec.offset + rec.size;
			if (!(await write(call, { record: toOutputRecord(rec) }))) break;
			if (rec.body.kind === 'exit') break;
		}
	} finally {
		call.off('cancelled', cancel);
		call.off('close', cancel);
	}
	if (!cancelled) call.end();

	/** Writes one message; resolves false if the call went away while waiting for flow control. */
	function write(c: RecordWriter, msg: { record: OutputRecord }): Promise<boolean> {
		if (c.write(msg)) return Promise.resolve(!cancelled);
		return new Promise((resolve) => {
			const done = () => {
				c.off('drain', done);
				c.off('cancelled', done);
				c.off('close', done);
				resolve(!cancelled);
			};
			c.on('drain', done);
			c.on('cancelled', done);
			c.on('close', done);
		});
	}
}
