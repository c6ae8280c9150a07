// The files whose function symbols a module carries for naming user-space
// addresses, and those symbols: one table per file the script probes
// (process("FILE").function/.mark) and per -d FILE, as stap carries the
// files a script names. The kernel cannot read a file's symbols while a
// probe runs, so they travel in the module (kmod: kmod/user-symbols.ts;
// bpf: user-symbol-tables.ts): function symbols by file offset (what an
// address's mapping gives), sorted.
import type { Program } from '../elaborate/program.js';
import { elfFile, ElfError, type ElfFunction } from '../elaborate/elf-symbols.js';

/** At most this many files' tables and symbols in one module (a few MB of C otherwise). */
export const MAX_SYMBOL_FILES = 64;
export const MAX_SYMBOLS_PER_FILE = 200_000;

export interface SymbolFile {
	path: string;
	/** Functions with a size, by file offset (then name). */
	syms: ElfFunction[];
}

/** The program's probed files and `extra` (-d FILE, canonical paths), each with its symbols; files without any left out. */
export function userSymbolFiles(program: Program, extra: readonly string[] = []): SymbolFile[] {
	const probed = program.probes.flatMap((p) => (p.event.kind === 'uprobe' ? [p.event.path] : []));
	const paths = [...new Set([...probed, ...extra])].sort().slice(0, MAX_SYMBOL_FILES);
	const files: SymbolFile[] = [];
	for (const path of paths) {
		let fns;
		try {
			fns = elfFile(path).functions;
		} catch (e) {
			if (e instanceof ElfError) continue; // pass 2 read it; a file gone since names nothing
			throw e;
		}
		const syms = fns
			.filter((f) => f.size > 0n)
			.sort((a, b) => (a.fileOffset < b.fileOffset ? -1 : a.fileOffset > b.fileOffset ? 1 : a.name < b.name ? -1 : 1))
			.slice(0, MAX_SYMBOLS_PER_FILE);
		if (syms.length) files.push({ path, syms });
	}
	return files;
}
