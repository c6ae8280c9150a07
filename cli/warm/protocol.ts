// What a `tapfleet run` client and a warm runner say to each other over the
// runner's Unix socket: binary frames (a type byte, a 32-bit big-endian
// length, the payload), so the run's output goes through as its bytes.
//
//   client -> runner: REQUEST (JSON WarmRequest), then SIGNAL (its name) for
//                     each signal the client gets, STDOUT_GONE once its
//                     stdout can no longer be written (EPIPE: `| head`),
//                     SPAWNED and EXITED for a -c command it started
//   runner -> client: ACCEPTED (JSON {pid}) or BUSY (why, UTF-8), then
//                     STDOUT and STDERR (bytes), SPAWN and RELEASE for a -c
//                     command, and EXIT (JSON WarmExit) last
//
// -c CMD (cli/commands/gated-command.ts): the runner has no terminal to give
// the command, so the client starts it: SPAWN carries its argv (NUL after
// each word); the client forks it with its own stdin, stdout and stderr and
// the gate's pipe as fd 3, and answers SPAWNED (JSON {pid} or {error});
// RELEASE opens the gate; EXITED (JSON {code} or {signal}) says it ended.

/** Bumped whenever frames or their meaning change: part of the socket's name, so unlike peers never meet. */
export const WARM_PROTOCOL = 3;

export const FRAME = {
	REQUEST: 0x71,
	SIGNAL: 0x73,
	STDOUT_GONE: 0x70,
	ACCEPTED: 0x61,
	BUSY: 0x62,
	STDOUT: 0x6f,
	STDERR: 0x65,
	EXIT: 0x78,
	SPAWN: 0x63,
	SPAWNED: 0x6e,
	RELEASE: 0x67,
	EXITED: 0x64,
} as const;

/** A frame's payload is at most this long: a request carries the command line (Linux allows ~2 MiB of it), output is cut into pieces below it. */
export const MAX_FRAME_BYTES = 8 << 20;
/** Output is sent in frames of at most this many bytes. */
export const OUTPUT_PIECE_BYTES = 1 << 20;

/** The signals a client passes on to the run (what would reach the CLI from its terminal or a `kill`). */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

export interface WarmRequest {
	/** The client's process, for the runner's log. */
	clientPid: number;
	/** When the client sent it (ms since the epoch): a runner that was stopped meanwhile must not run what its client gave up on. */
	sentAtMs: number;
	/** As process.argv: node, the script, then the words. */
	argv: string[];
	cwd: string;
	/** The environment's fingerprint (place.ts): the runner serves only the environment it was started with. */
	fingerprint: string;
	/** The client's umask: files the run makes (-o FILE, caches) get the permissions they would have had. */
	umask: number;
	/** The variables left out of the fingerprint (PWD and the like), as the client has them. */
	volatileEnv: Record<string, string>;
	stdout: TerminalInfo;
	stderr: TerminalInfo;
	/** The client starts -c commands (SPAWN); the JS client does not, and sends no -c. */
	spawns: boolean;
}

export interface TerminalInfo {
	isTTY: boolean;
	columns?: number;
	rows?: number;
}

/** How the run ended: an exit status, or a signal the CLI would have died of (the client then dies of it too). */
export type WarmExit = { code: number } | { signal: ForwardedSignal };

export class FrameError extends Error {}

export function frame(type: number, payload: Buffer | string): Buffer {
	const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
	if (body.length > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${body.length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
	const head = Buffer.allocUnsafe(5);
	head[0] = type;
	head.writeUInt32BE(body.length, 1);
	return Buffer.concat([head, body]);
}

export interface Frame {
	type: number;
	payload: Buffer;
}

/** Cuts a byte stream into frames; throws FrameError on a frame over the limit. */
export class FrameReader {
	private pending: Buffer = Buffer.alloc(0);

	push(chunk: Buffer): Frame[] {
		this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
		const out: Frame[] = [];
		while (this.pending.length >= 5) {
			const length = this.pending.readUInt32BE(1);
			if (length > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
			if (this.pending.length < 5 + length) break;
			out.push({ type: this.pending[0]!, payload: this.pending.subarray(5, 5 + length) });
			this.pending = this.pending.subarray(5 + length);
		}
		return out;
	}
}
