// The symbol tables a kmod module carries for naming user-space frames
// (print_ubacktrace(), sprint_ubacktrace(), print_ustack(); kmod_ustack.c):
// one per file the script probes (process("FILE").function/.mark), as stap
// carries the files a script names. The kernel cannot read a file's
// symbols while a probe runs, so they travel in the module: function
// symbols by file offset (what a frame's mapping gives), sorted.
import type { Program } from '../../elaborate/program.js';
import { elfFile, ElfError } from '../../elaborate/elf-symbols.js';
import { cStringRaw } from '../c-text.js';

/** At most this many files' tables and symbols in one module (a few MB of C otherwise). */
export const MAX_SYMBOL_FILES = 64;
export const MAX_SYMBOLS_PER_FILE = 200_000;

/**
 * The C definitions of tap_kmod_ufiles and tap_kmod_nufiles for the
 * program's probed files and `extra` (-d FILE, canonical paths).
 */
export function userSymbolTables(program: Program, extra: readonly string[] = []): string[] {
	const probed = program.probes.flatMap((p) => (p.event.kind === 'uprobe' ? [p.event.path] : []));
	const paths = [...new Set([...probed, ...extra])].sort().slice(0, MAX_SYMBOL_FILES);
	const out: string[] = [];
	const files: string[] = [];
	for (const path of paths) {
		let fns;
		try {
			fns = elfFile(path).functions;
		} catch (e) {
			if (e instanceof ElfError) continue; // pass 2 read it; a file gone since names no frames
			throw e;
		}
		const syms = fns
			.filter((f) => f.size > 0n)
			.sort((a, b) => (a.fileOffset < b.fileOffset ? -1 : a.fileOffset > b.fileOffset ? 1 : a.name < b.name ? -1 : 1))
			.slice(0, MAX_SYMBOLS_PER_FILE);
		if (!syms.length) continue;
		const name = `tap_usyms_${files.length}`;
		out.push(`static const struct tap_usym ${name}[] = {`);
		for (const f of syms) out.push(`\t{ 0x${f.fileOffset.toString(16)}UL, 0x${f.size.toString(16)}UL, ${cStringRaw(f.name)} },`);
		out.push('};');
		files.push(`\t{ ${cStringRaw(path)}, ${name}, ${syms.length} },`);
	}
	const count = files.length;
	if (!count) files.push('\t{ "", NULL, 0 },'); // C has no empty arrays
	return [
		'/* symbol tables of the probed files, for naming user-space frames (kmod_ustack.c) */',
		...out,
		'const struct tap_ufile tap_kmod_ufiles[] = {',
		...files,
		'};',
		`const unsigned int tap_kmod_nufiles = ${count};`,
		'',
	];
}
