// The log file of a background service (the audit keeper, the warm runner):
// it has no terminal, so when it started, why it stopped and what went wrong
// go to a file beside its socket, this user's only.
import { appendFileSync, renameSync, statSync } from 'node:fs';

/** The log is started afresh (the old one kept as .old) beyond this size. */
const MAX_LOG_BYTES = 1 << 20;

/** A function that appends one timestamped line, naming the service and its pid; it never throws. */
export function serviceLogger(path: string, service: string): (line: string) => void {
	try {
		if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > MAX_LOG_BYTES) renameSync(path, `${path}.old`);
	} catch {
		// a log that cannot be rotated is appended to
	}
	return (line) => {
		try {
			appendFileSync(path, `${new Date().toISOString()} ${service} ${process.pid}: ${line}\n`, { mode: 0o600 });
		} catch {
			// nowhere left to say it
		}
	};
}
