// `--prefix` output (like stap --remote-prefix): every line a host prints
// starts with its name, once, and reaches stdout whole. A host's output
// arrives in records that need not end at a line's end (a line longer than
// a record, or a printf without "\n" followed later by the rest), so each
// host's unfinished line waits here until its end comes, and is written
// with one prefix, not one per record; lines of other hosts never land in
// the middle of it. Bytes are never decoded: lines end at 0x0a. A session's
// last line without its end is written when the session ends, ended.

/**
 * An unfinished line is held back at most this long; beyond it, what has
 * come so far is written and the rest follows without a prefix (so
 * another host's line may interleave once), which bounds memory for a
 * script that prints without ever ending its line.
 */
export const MAX_HELD_LINE_BYTES = 256 * 1024;
/** All hosts' unfinished lines held back at once, at most (10,000 hosts printing long lines must not exhaust memory). */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

const NEWLINE = Buffer.from('\n');

interface HeldLine {
	chunks: Buffer[];
	bytes: number;
	/** Part of this line was written already (it grew past the limit): the rest goes without a prefix. */
	continued: boolean;
}

export class LinePrefixer {
	private readonly held = new Map<string, HeldLine>();
	private heldBytes = 0;

	/** The bytes to write for `data` of the stream `key` (one host's stdout or stderr): its complete lines, each prefixed once. */
	write(key: string, prefix: Buffer, data: Buffer): Buffer {
		let line = this.held.get(key);
		if (!line) this.held.set(key, (line = { chunks: [], bytes: 0, continued: false }));
		const out: Buffer[] = [];
		let start = 0;
		for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
			if (!line.continued) out.push(prefix);
			out.push(...line.chunks, data.subarray(start, nl + 1));
			this.release(line);
			line.continued = false;
			start = nl + 1;
		}
		if (start < data.length) {
			const rest = data.subarray(start);
			line.chunks.push(rest);
			line.bytes += rest.length;
			this.heldBytes += rest.length;
			if (line.bytes > MAX_HELD_LINE_BYTES || this.heldBytes > MAX_HELD_BYTES) {
				if (!line.continued) out.push(prefix);
				out.push(...line.chunks);
				this.release(line);
				line.continued = true;
			}
		}
		return Buffer.concat(out);
	}

	/**
	 * What is left of the stream `key`'s unfinished line (its session ended):
	 * prefixed unless part of it went out already, and ended with a 0x0a, so
	 * that the next host's line does not start in the middle of it.
	 */
	flush(key: string, prefix: Buffer): Buffer {
		const line = this.held.get(key);
		if (!line) return Buffer.alloc(0);
		this.held.delete(key);
		this.heldBytes -= line.bytes;
		if (line.bytes === 0 && !line.continued) return Buffer.alloc(0);
		return Buffer.concat([...(line.continued ? [] : [prefix]), ...line.chunks, NEWLINE]);
	}

	private release(line: HeldLine): void {
		this.heldBytes -= line.bytes;
		line.chunks = [];
		line.bytes = 0;
	}
}
