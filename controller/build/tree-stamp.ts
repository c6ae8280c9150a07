// A summary of a directory tree's files (names, sizes, mtimes) for the
// script cache's key (front-cache.ts): it changes when any file does.
//
// A short-lived command stats every file each time (~640 files, ~4 ms a
// run). A long-lived process (the warm runner, cli/warm/runner.ts) calls
// watchTreeStamps() first: then a tree's summary is kept and each of its
// directories watched (inotify), and any change in one drops the summary,
// so the next key stats the tree again. A directory that cannot be watched
// is never kept.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';

let watching = false;
/** Summaries kept while their trees are watched: the tree's root -> its text. */
const kept = new Map<string, string>();
/** The watchers of each kept tree. */
const watchers = new Map<string, FSWatcher[]>();

/** From now on, keep summaries of watched trees (for a process that makes many keys). */
export function watchTreeStamps(): void {
	watching = true;
}

export function treeStampsWatched(): boolean {
	return watching;
}

/** The tree's summary: one line per file, `path:size:mtime`, in name order. */
export function treeStamp(dir: string): string {
	if (!watching) return stampOf(dir, undefined);
	const known = kept.get(dir);
	if (known !== undefined) return known;
	const ws: FSWatcher[] = [];
	const forget = () => {
		kept.delete(dir);
		for (const w of watchers.get(dir) ?? ws) w.close();
		watchers.delete(dir);
	};
	let watchable = true;
	// each directory is watched before it is read: a change while the summary is made drops it
	const onDir = (d: string) => {
		if (!watchable) return;
		try {
			const w = watch(d, { persistent: false }, forget);
			w.on('error', forget);
			ws.push(w);
		} catch {
			watchable = false;
		}
	};
	const text = stampOf(dir, onDir);
	if (watchable) {
		kept.set(dir, text);
		watchers.set(dir, ws);
	} else for (const w of ws) w.close();
	return text;
}

function stampOf(dir: string, onDir: ((d: string) => void) | undefined): string {
	onDir?.(dir);
	let entries: string[];
	try {
		entries = readdirSync(dir).sort();
	} catch {
		return `${dir}:absent\0`;
	}
	let text = '';
	for (const name of entries) {
		// not path.join: its normalising was a third of this loop's time (~3 ms a run); the key needs a stable string, not a canonical one
		const p = `${dir}/${name}`;
		const st = statSync(p, { throwIfNoEntry: false });
		if (!st) continue;
		if (st.isDirectory()) text += stampOf(p, onDir);
		else text += `${p}:${st.size}:${st.mtimeMs}\0`;
	}
	return text;
}

/**
 * `compute` made once and kept while the trees' summaries stay the same: a
 * fingerprint of runtime sources that a warm runner would otherwise keep
 * across an edit of them (each call re-stats the trees, unless they are
 * watched).
 */
export function keptWhileUnchanged<T>(dirs: readonly string[], compute: () => T): () => T {
	let stamp: string | undefined;
	let value: T;
	return () => {
		// taken before computing: a change while it computes makes the next call compute again
		const now = dirs.map(treeStamp).join('\n');
		if (now !== stamp) {
			value = compute();
			stamp = now;
		}
		return value;
	};
}
