// Values made from one file, kept across the commands of a long-lived
// process (the warm runner, cli/warm/runner.ts) for as long as the file is
// the same file: same device and inode, size, mtime and ctime. A command
// cache (command-cache.ts) forgets everything before each command, since
// files may have changed in between; for a file whose reading costs more
// than a stat (a kernel profile: gunzip and JSON of ~6 MB, ~35 ms), this
// keeps the value and asks the file system instead. Files replaced by
// rename (how tapfleet writes its caches) get a new inode, so they miss.
import { statSync, type Stats } from 'node:fs';

/** What identifies a file's contents without reading them; undefined when it cannot be stat'ed. */
export function fileStamp(path: string): string | undefined {
	let st: Stats | undefined;
	try {
		st = statSync(path, { bigint: false, throwIfNoEntry: false });
	} catch {
		return undefined;
	}
	if (!st || !st.isFile()) return undefined;
	return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/**
 * `make(path)` once per path, kept while the file's stamp stays the same,
 * for at most `maxKept` paths (the least recently used goes first: a
 * controller compiling for many kernels keeps the few it uses now). The
 * stamp is taken before making: a change while it is made shows at the next
 * call. A file that cannot be stat'ed is never kept (make's own error, such
 * as ENOENT, is what the caller sees). Values are shared between commands,
 * so callers must not change them.
 */
export function keptWhileFileUnchanged<T>(make: (path: string) => T, maxKept: number): (path: string) => T {
	const kept = new Map<string, { stamp: string; value: T }>(); // in order of use, the latest last
	return (path) => {
		const stamp = fileStamp(path);
		const known = kept.get(path);
		kept.delete(path);
		if (stamp !== undefined && known?.stamp === stamp) {
			kept.set(path, known);
			return known.value;
		}
		const value = make(path);
		if (stamp !== undefined) {
			kept.set(path, { stamp, value });
			for (const oldest of kept.keys()) {
				if (kept.size <= maxKept) break;
				kept.delete(oldest);
			}
		}
		return value;
	};
}
