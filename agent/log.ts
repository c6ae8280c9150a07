// Structured log: one JSON object per line on stderr, so that journald or a
// log shipper can index every request without parsing prose.
export type LogFields = Record<string, unknown>;

export interface Logger {
	info(msg: string, fields?: LogFields): void;
	warn(msg: string, fields?: LogFields): void;
	error(msg: string, fields?: LogFields): void;
}

/**
 * stderr, written once per turn of the event loop: a request makes a burst
 * of lines (the request, a session start, its end) and each write to a pipe
 * is a system call made while the agent's one thread waits. What is still
 * pending when the process exits (even on an uncaught exception) is written
 * then; a kill -9 loses at most the current turn's lines, never the journal.
 */
let pendingLines: string[] = [];
let exitHookInstalled = false;

function flushPendingLines(): void {
	if (pendingLines.length === 0) return;
	const text = pendingLines.join('');
	pendingLines = [];
	process.stderr.write(text);
}

function batchedStderr(line: string): void {
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.on('exit', flushPendingLines);
	}
	if (pendingLines.push(line) === 1) setImmediate(flushPendingLines);
}

export function jsonLogger(write: (line: string) => void = batchedStderr): Logger {
	const emit = (level: string, msg: string, fields?: LogFields) =>
		write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
	return {
		info: (m, f) => emit('info', m, f),
		warn: (m, f) => emit('warn', m, f),
		error: (m, f) => emit('error', m, f),
	};
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
