// A session's output: records numbered from 1, kept in a bounded buffer
// (bytes and count). When the buffer is full the oldest records fall out;
// a subscriber that had not read them is told how many it missed (a gap is
// never silent). Any number of subscribers read at their own pace.
// Output is bytes (stap prints binary with %b and %c), so limits and gap
// sizes count bytes, and nothing here decodes it.

export type RecordBody =
	| { kind: 'stdout' | 'stderr'; data: Buffer }
	| { kind: 'exit'; exitCode: number; signal: string; reason: string };

export interface BufferedRecord {
	seq: number;
	body: RecordBody;
	/** Bytes of output appended before this record (for sizing gaps). */
	offset: number;
	size: number;
}

export interface BufferLimits {
	maxBytes: number;
	maxRecords: number;
}

export const DEFAULT_BUFFER_LIMITS: BufferLimits = { maxBytes: 16 * 1024 * 1024, maxRecords: 1 << 16 };

export class OutputBuffer {
	private records: BufferedRecord[] = [];
	private head = 0; // index of the oldest live record in `records`
	private bytes = 0;
	private totalBytes = 0;
	private nextSeqValue = 1;
	private closedValue = false;
	private waiters: (() => void)[] = [];
	evictedRecords = 0;

	constructor(readonly limits: BufferLimits = DEFAULT_BUFFER_LIMITS) {}

	get nextSeq(): number {
		return this.nextSeqValue;
	}
	/** Sequence number of the oldest record still held (nextSeq when empty). */
	get firstSeq(): number {
		return this.head < this.records.length ? this.records[this.head].seq : this.nextSeqValue;
	}
	get closed(): boolean {
		return this.closedValue;
	}
	get bufferedBytes(): number {
		return this.bytes;
	}

	append(body: RecordBody): BufferedRecord {
		if (this.closedValue) throw new Error('output buffer is closed');
		const size = body.kind === 'exit' ? 0 : body.data.length;
		const rec: BufferedRecord = { seq: this.nextSeqValue++, body, offset: this.totalBytes, size };
		this.totalBytes += size;
		this.records.push(rec);
		this.bytes += size;
		this.evict();
		if (body.kind === 'exit') this.closedValue = true;
		this.wake();
		return rec;
	}

	/** The record with this number, if it is still buffered. */
	get(seq: number): BufferedRecord | undefined {
		const first = this.firstSeq;
		if (seq < first || seq >= this.nextSeqValue) return undefined;
		return this.records[this.head + (seq - first)];
	}

	/** Bytes that fell out between `seq` (inclusive) and the oldest buffered record, when known. */
	bytesBefore(firstMissingOffset: number | undefined): number {
		const first = this.get(this.firstSeq);
		const end = first ? first.offset : this.totalBytes;
		return firstMissingOffset === undefined ? 0 : Math.max(0, end - firstMissingOffset);
	}

	/** Resolves when a record with seq >= `seq` exists or the buffer is closed. */
	waitFor(seq: number): Promise<void> {
		if (seq < this.nextSeqValue || this.closedValue) return Promise.resolve();
		return new Promise((resolve) => this.waiters.push(resolve));
	}

	/** Wakes waiters without a new record (e.g. a subscriber is being cancelled). */
	wake(): void {
		const w = this.waiters;
		this.waiters = [];
		for (const resolve of w) resolve();
	}

	private evict(): void {
		const { maxBytes, maxRecords } = this.limits;
		// Keep at least the newest record, however large.
		while (this.records.length - this.head > 1 && (this.bytes > maxBytes || this.records.length - this.head > maxRecords)) {
			this.bytes -= this.records[this.head].size;
			this.head++;
			this.evictedRecords++;
		}
		// Compact now and then so the array does not grow without bound.
		if (this.head > 4096 && this.head * 2 > this.records.length) {
			this.records = this.records.slice(this.head);
			this.head = 0;
		}
	}
}
