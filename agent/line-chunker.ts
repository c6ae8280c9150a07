// Cuts a byte stream (taprun's stdout or stderr) into records of whole
// lines, at most `maxRecordBytes` each. Lines end at 0x0a; nothing is
// decoded, so binary output (printf("%b"), "%c" of any byte) passes through
// exactly. A line longer than the limit is split at the limit; a final
// piece without a newline is flushed at the end, and so is a piece that
// has waited `idleFlushMs` for the rest of its line: a probe that prints
// "working..." and its newline later is seen at once, as with stap (whoever
// needs whole lines, `--prefix`, joins the pieces).

/** How long a line without its newline waits before it goes out as it is. */
export const IDLE_FLUSH_MS = 100;

export class LineChunker {
	private pending: Buffer[] = [];
	private pendingBytes = 0;
	private idleTimer?: NodeJS.Timeout;

	constructor(
		private readonly maxRecordBytes: number,
		private readonly emit: (record: Buffer) => void,
		private readonly idleFlushMs = IDLE_FLUSH_MS,
	) {}

	push(chunk: Buffer): void {
		this.pushBytes(chunk);
		this.armIdleFlush();
	}

	/** The last line, if it had no newline. */
	end(): void {
		clearTimeout(this.idleTimer);
		if (this.pendingBytes > 0) this.emitPieces(this.takePending(Buffer.alloc(0)), true);
	}

	/** A partial line pending: out it goes unless more bytes come first (each push re-arms). */
	private armIdleFlush(): void {
		clearTimeout(this.idleTimer);
		this.idleTimer = undefined;
		if (this.pendingBytes === 0 || this.idleFlushMs <= 0) return;
		this.idleTimer = setTimeout(() => {
			this.idleTimer = undefined;
			if (this.pendingBytes > 0) this.emitPieces(this.takePending(Buffer.alloc(0)), true);
		}, this.idleFlushMs);
		this.idleTimer.unref();
	}

	private pushBytes(chunk: Buffer): void {
		if (chunk.length === 0) return;
		const lastNewline = chunk.lastIndexOf(0x0a);
		if (lastNewline === -1) {
			this.pending.push(chunk);
			this.pendingBytes += chunk.length;
			// No line end yet, but a record may not grow past the limit: emit whole pieces.
			if (this.pendingBytes >= this.maxRecordBytes) this.emitPieces(this.takePending(Buffer.alloc(0)), false);
			return;
		}
		const complete = this.takePending(chunk.subarray(0, lastNewline + 1));
		if (lastNewline + 1 < chunk.length) {
			this.pending.push(chunk.subarray(lastNewline + 1));
			this.pendingBytes = chunk.length - lastNewline - 1;
		}
		this.emitPieces(complete, true);
	}

	/** Pending bytes followed by `tail`, leaving nothing pending. */
	private takePending(tail: Buffer): Buffer {
		const all = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
		this.pending = [];
		this.pendingBytes = 0;
		return all;
	}

	/**
	 * Emits `bytes` as records of at most the limit, cut after a newline
	 * where there is one. With `all` false, a last piece shorter than the
	 * limit stays pending (its line has not ended yet).
	 */
	private emitPieces(bytes: Buffer, all: boolean): void {
		const max = this.maxRecordBytes;
		let start = 0;
		while (bytes.length - start > max) {
			let end = start + max;
			const nl = bytes.lastIndexOf(0x0a, end - 1);
			if (nl >= start) end = nl + 1;
			this.emit(bytes.subarray(start, end));
			start = end;
		}
		if (start === bytes.length) return;
		const rest = bytes.subarray(start);
		if (all || rest.length === max) this.emit(rest);
		else {
			this.pending.push(rest);
			this.pendingBytes = rest.length;
		}
	}
}
