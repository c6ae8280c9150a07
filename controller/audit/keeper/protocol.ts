// The wire between a run's audit log and the audit keeper (keeper/README in
// docs/audit.md, "The audit keeper"): a Unix stream socket carrying frames,
// each a 4-byte big-endian length and that many bytes of UTF-8 JSON.
// A request is the client's hello, or one step of a run (`run.*`) that the
// keeper records itself (run-session.ts: the run's AuditWriter lives in the
// keeper); the answer carries the same id.
// Requests on one connection may overlap (the answers come in the order the
// keeper finishes them).

/** Bumped whenever a request or an answer changes shape; part of the socket's name, so old and new never meet. */
export const KEEPER_PROTOCOL = 2;

/**
 * Largest frame either side accepts. A run's largest request is its
 * write-ahead dispatch, with the script text (at most 1 MiB,
 * LIMITS.scriptTextBytes) and its hosts (at most 10,000), or a journal
 * import (at most 100,000 entries). 64 MiB leaves room many times over.
 */
export const MAX_FRAME_BYTES = 64 << 20;

/**
 * A run's steps (RunLog, run-log-api.ts), recorded by the keeper for the
 * process that opened the run session: run.open first, run.close last.
 */
export const KEEPER_RUN_OPS = [
	'run.open',
	'run.recordCompile',
	'run.beginDispatch',
	'run.hostLoaded',
	'run.hostEnded',
	'run.hostRefused',
	'run.finish',
	'run.importsDue',
	'run.recovered',
	'run.importAgentJournal',
	'run.noteJournalImports',
	'run.endBatching',
	'run.close',
] as const;
export type KeeperRunOp = (typeof KEEPER_RUN_OPS)[number];
/** The client's hello (first on a connection), or a run's step. */
export type KeeperOp = 'hello' | KeeperRunOp;

export interface KeeperRequest {
	id: number;
	op: KeeperOp;
	args: unknown[];
}

/** What the keeper says of itself first: the client checks it serves the log it asked for. */
export interface KeeperHello {
	protocol: number;
	schemaVersion: number;
	kind: 'sqlite' | 'postgres';
	location: string;
	pid: number;
}

/** An error as the backend threw it: the fields callers look at (see audit-log.ts violatesIndex). */
export interface KeeperError {
	message: string;
	code?: string;
	constraint?: string;
}

export type KeeperAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: KeeperError };

export class FrameTooLargeError extends Error {}

/** One frame's bytes. */
export function encodeFrame(message: unknown): Buffer {
	const body = Buffer.from(JSON.stringify(message), 'utf8');
	if (body.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(`audit keeper message of ${body.length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
	const frame = Buffer.allocUnsafe(4 + body.length);
	frame.writeUInt32BE(body.length, 0);
	body.copy(frame, 4);
	return frame;
}

/**
 * Reassembles frames from a stream's chunks. `push` returns the messages
 * completed by a chunk; it throws FrameTooLargeError as soon as a length
 * over the limit is announced (before anything of it is buffered) and
 * SyntaxError for a body that is not JSON.
 */
export class FrameReader {
	private chunks: Buffer[] = [];
	private buffered = 0;

	push(chunk: Buffer): unknown[] {
		this.chunks.push(chunk);
		this.buffered += chunk.length;
		const out: unknown[] = [];
		for (;;) {
			if (this.buffered < 4) return out;
			const head = this.peek(4);
			const length = head.readUInt32BE(0);
			if (length > MAX_FRAME_BYTES) throw new FrameTooLargeError(`audit keeper frame of ${length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
			if (this.buffered < 4 + length) return out;
			const frame = this.take(4 + length);
			out.push(JSON.parse(frame.toString('utf8', 4)));
		}
	}

	private peek(n: number): Buffer {
		if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
		return this.chunks[0]!;
	}

	private take(n: number): Buffer {
		const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
		const frame = all.subarray(0, n);
		const rest = all.subarray(n);
		this.chunks = rest.length > 0 ? [rest] : [];
		this.buffered = rest.length;
		return frame;
	}
}

export function errorOf(err: unknown): KeeperError {
	const e = err as { message?: unknown; code?: unknown; constraint?: unknown };
	const out: KeeperError = { message: typeof e?.message === 'string' ? e.message : String(err) };
	if (typeof e?.code === 'string') out.code = e.code;
	if (typeof e?.constraint === 'string') out.constraint = e.constraint;
	return out;
}
