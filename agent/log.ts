// Structured log: one JSON object per line on stderr, so that journald or a
// log shipper can index every request without parsing prose.
export type LogFields = Record<string, unknown>;

export interface Logger {
	info(msg: string, fields?: LogFields): void;
	warn(msg: string, fields?: LogFields): void;
	error(msg: string, fields?: LogFields): void;
}

export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
	const emit = (level: string, msg: string, fields?: LogFields) =>
		write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
	return {
		info: (m, f) => emit('info', m, f),
		warn: (m, f) => emit('warn', m, f),
		error: (m, f) => emit('error', m, f),
	};
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
