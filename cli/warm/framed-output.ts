// A run's stdout or stderr inside a warm runner: what the CLI writes to
// process.stdout goes to the client as frames, in order with the other
// stream's (one socket), and the client writes it to its own.
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { frame, OUTPUT_PIECE_BYTES, type TerminalInfo } from './protocol.js';

export class FramedOutput extends Writable {
	readonly isTTY: boolean;
	readonly columns: number | undefined;
	readonly rows: number | undefined;
	/** The client's end can no longer be written (its stdout went away): writes are dropped. */
	gone = false;

	constructor(
		private readonly socket: Socket,
		private readonly type: number,
		terminal: TerminalInfo,
	) {
		super({ decodeStrings: true });
		this.isTTY = terminal.isTTY;
		this.columns = terminal.columns;
		this.rows = terminal.rows;
	}

	/** Late writes, after the run's exit was sent (a timer of the run firing then), go nowhere rather than failing. */
	override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
		if (this.writableEnded) {
			const done = typeof encoding === 'function' ? encoding : cb;
			if (typeof done === 'function') process.nextTick(done as () => void);
			return true;
		}
		return super.write(chunk, encoding as BufferEncoding, cb as (err?: Error | null) => void);
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
		if (this.gone || this.socket.destroyed) return done();
		for (let at = 0; at < chunk.length; at += OUTPUT_PIECE_BYTES) {
			const piece = frame(this.type, chunk.subarray(at, at + OUTPUT_PIECE_BYTES));
			// the last piece's callback says when the socket took it: the CLI's writes wait for a slow client
			if (at + OUTPUT_PIECE_BYTES >= chunk.length) this.socket.write(piece, () => done());
			else this.socket.write(piece);
		}
		if (chunk.length === 0) done();
	}
}
