// The tapset library on disk: which directories stap searches (runtime, kernel
// version and arch variants of each include path), which .stp/.stpm files it
// takes from them and in which order, with its duplicate elimination.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { kernelBaseRelease, type PreprocessorTarget } from './target.js';

/** Where Debian's systemtap-common installs the tapset library. */
export const DEFAULT_TAPSET_DIR = '/usr/share/systemtap/tapset';

/** Subdirectory suffixes searched under each include path, most specific first (stap's version_suffixes). */
export function versionSuffixes(target: PreprocessorTarget): string[] {
	const suffixes: string[] = [];
	if (target.runtime !== 'dyninst') {
		let kvr = target.kernelRelease;
		suffixes.push('/' + kvr);
		const base = kernelBaseRelease(kvr);
		if (kvr !== base) {
			kvr = base;
			suffixes.push('/' + kvr);
		}
		const dot1 = kvr.indexOf('.');
		let dot2 = kvr.lastIndexOf('.');
		while (dot2 > dot1 && dot2 >= 0) {
			kvr = kvr.slice(0, dot2);
			suffixes.push('/' + kvr);
			dot2 = kvr.lastIndexOf('.');
		}
	}
	suffixes.push('');
	for (let i = 0; i < suffixes.length; i += 2) suffixes.splice(i, 0, suffixes[i] + '/' + target.arch);
	const runtimePrefix = target.runtime === 'kernel' ? '/linux' : '/' + target.runtime;
	for (let i = 0; i < suffixes.length; i += 2) suffixes.splice(i / 2, 0, runtimePrefix + suffixes[i]);
	return suffixes;
}

/** Files with extension `ext` directly in `dir`, and anywhere below a PATH directory, sorted as std::set<string>. */
function collect(dir: string, ext: string, pathDir: string): string[] {
	const found: string[] = [];
	const walk = (d: string, level: number): void => {
		let entries;
		try {
			entries = readdirSync(d, { withFileTypes: true });
		} catch {
			return;
		}
		for (const e of entries) {
			const full = d + '/' + e.name;
			if (e.isDirectory()) {
				// stap recurses only into the include path's PATH directory.
				if (full === pathDir || full.startsWith(pathDir + '/')) walk(full, level + 1);
			} else if (e.isFile() && path.extname(e.name) === ext) {
				found.push(full);
			}
		}
	};
	walk(dir, 0);
	return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface LibraryFile {
	readonly path: string;
	/** Index of the include path it came from (0: the builtin tapset directory). */
	readonly includeIndex: number;
	/** Under a PATH directory: probe points remember the file. */
	readonly autoPath: boolean;
}

/** The library files of one kind (".stp" or ".stpm"), in stap's processing order, duplicates removed. */
export function libraryFiles(includePaths: readonly string[], target: PreprocessorTarget, ext: '.stp' | '.stpm'): LibraryFile[] {
	const out: LibraryFile[] = [];
	const seenInodes = new Set<string>();
	const seenNames = new Set<string>();
	const suffixes = versionSuffixes(target);
	includePaths.forEach((base, includeIndex) => {
		for (const suffix of suffixes) {
			for (const file of collect(base + suffix, ext, base + '/PATH')) {
				try {
					const st = statSync(file);
					const inode = `${st.dev}:${st.ino}`;
					if (seenInodes.has(inode)) continue;
					seenInodes.add(inode);
				} catch {
					/* unreadable: the parser reports it */
				}
				if (file.length > base.length) {
					const tail = file.slice(base.length);
					if (seenNames.has(tail)) continue;
					seenNames.add(tail);
				}
				out.push({ path: file, includeIndex, autoPath: file.includes('/PATH/') });
			}
		}
	});
	return out;
}
