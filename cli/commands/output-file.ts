// -o FILE for a run through agents: the merged output goes to FILE instead
// of stdout, as `stap -o FILE --remote HOST` writes it on the controlling
// machine. Opened before anything is dispatched, so a path that cannot be
// written stops the run before any host loads a module.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';

/** FILE created (0644) or truncated; an error names the path and the reason. */
export function openOutputFile(path: string): WriteStream {
	let fd: number;
	try {
		fd = openSync(path, 'w', 0o644);
	} catch (e) {
		const err = e as NodeJS.ErrnoException;
		// "ENOENT: no such file or directory, open '...'": the reason, without the path twice
		const reason = err.message.replace(/, open '.*'$/, '');
		throw new Error(`-o ${path}: cannot open it for writing (${reason})`);
	}
	return createWriteStream('', { fd });
}

/** Everything written has reached the file (or writing it failed, already reported). */
export function closeOutputFile(stream: WriteStream): Promise<void> {
	return new Promise((resolve) => {
		if (stream.destroyed) return resolve();
		stream.once('error', () => resolve());
		stream.end(() => resolve());
	});
}
