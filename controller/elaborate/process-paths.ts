// process("PATTERN") with wildcards, as stap expands it with glob(3):
// `/usr/lib*/libssl.so.*` is every such file of the compiling machine. Each
// directory level's wildcard matches its entries (not hidden ones unless
// the pattern starts with a dot); a file found twice (through a link) counts
// once, by its real path.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { globMatch, isGlob } from './glob.js';

/** At most this many files per pattern: a wildcard over / should not read the disk for long. */
export const MAX_GLOB_FILES = 1024;

/** The real paths of the regular files `pattern` (absolute) matches, sorted; at most MAX_GLOB_FILES. */
export function globFiles(pattern: string): string[] {
	const parts = pattern.split('/').filter(Boolean);
	let dirs = ['/'];
	for (const [i, part] of parts.entries()) {
		const last = i === parts.length - 1;
		const next: string[] = [];
		for (const dir of dirs) {
			const names = isGlob(part) ? entries(dir).filter((n) => globMatch(part, n) && (!n.startsWith('.') || part.startsWith('.'))) : [part];
			for (const n of names) next.push(dir === '/' ? `/${n}` : `${dir}/${n}`);
		}
		dirs = last ? next : next.filter(isDirectory);
		if (dirs.length > MAX_GLOB_FILES) throw new Error(`'${pattern}' matches more than ${MAX_GLOB_FILES} paths`);
	}
	const files = new Set<string>();
	for (const f of dirs) {
		try {
			if (statSync(f).isFile()) files.add(realpathSync(f));
		} catch {
			// gone, or a dangling link: not a file to probe
		}
	}
	return [...files].sort();
}

function entries(dir: string): string[] {
	try {
		return readdirSync(dir);
	} catch {
		return [];
	}
}

function isDirectory(p: string): boolean {
	try {
		return statSync(p).isDirectory();
	} catch {
		return false;
	}
}
