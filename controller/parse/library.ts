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
			// stap's nftw follows symbolic links (no FTW_PHYS): a link is what it points to.
			const target = e.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : e;
			if (!target) continue;
			if (target.isDirectory()) {
				// stap recurses only into the include path's PATH directory.
				if (full === pathDir || full.startsWith(pathDir + '/')) walk(full, level + 1);
			} else if (target.isFile() && path.extname(e.name) === ext) {
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

/** A file stap finds on the include path, before its duplicate elimination. */
export interface FoundFile {
	readonly path: string;
	readonly includeIndex: number;
	/** The include path it was found under. */
	readonly base: string;
	/** "dev:ino", or null when it cannot be stat()ed. */
	readonly inode: string | null;
}

/** Every file of one kind stap finds on the include path, in its order, duplicates included (stap checks each against the user's script). */
export function foundLibraryFiles(includePaths: readonly string[], target: PreprocessorTarget, ext: '.stp' | '.stpm'): FoundFile[] {
	const out: FoundFile[] = [];
	const suffixes = versionSuffixes(target);
	includePaths.forEach((base, includeIndex) => {
		for (const suffix of suffixes) {
			for (const file of collect(base + suffix, ext, base + '/PATH')) {
				let inode: string | null = null;
				try {
					const st = statSync(file);
					inode = `${st.dev}:${st.ino}`;
				} catch {
					/* unreadable: the parser reports it */
				}
				out.push({ path: file, includeIndex, base, inode });
			}
		}
	});
	return out;
}

/** The library files of one kind (".stp" or ".stpm"), in stap's processing order, duplicates removed. */
export function libraryFiles(includePaths: readonly string[], target: PreprocessorTarget, ext: '.stp' | '.stpm'): LibraryFile[] {
	const out: LibraryFile[] = [];
	const seenInodes = new Set<string>();
	const seenNames = new Set<string>();
	for (const f of foundLibraryFiles(includePaths, target, ext)) {
		if (f.inode !== null) {
			if (seenInodes.has(f.inode)) continue;
			seenInodes.add(f.inode);
		}
		if (f.path.length > f.base.length) {
			const tail = f.path.slice(f.base.length);
			if (seenNames.has(tail)) continue;
			seenNames.add(tail);
		}
		out.push({ path: f.path, includeIndex: f.includeIndex, autoPath: f.path.includes('/PATH/') });
	}
	return out;
}

/**
 * stap's refusal of a session script that is itself a library file (the
 * same device and inode as a .stpm or .stp file it finds): its messages, in
 * stap's order (macro files first), empty when there is none.
 */
export function scriptIsLibraryFile(includePaths: readonly string[], target: PreprocessorTarget, scriptInode: string): string[] {
	const messages: string[] = [];
	for (const [ext, what] of [['.stpm', 'macro tapset file'], ['.stp', 'tapset file']] as const) {
		for (const f of foundLibraryFiles(includePaths, target, ext)) {
			if (f.inode === scriptInode) messages.push(`usage error: ${what} '${f.path}' cannot be run directly as a session script.`);
		}
	}
	return messages;
}
