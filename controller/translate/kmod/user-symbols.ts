// The symbol tables a kmod module carries for naming user-space frames
// (print_ubacktrace(), sprint_ubacktrace(), print_ustack(), usymname();
// kmod_ustack.c), as C: which files and symbols, user-symbol-files.ts.
import type { Program } from '../../elaborate/program.js';
import { cStringRaw } from '../c-text.js';
import { userSymbolFiles } from '../user-symbol-files.js';

/**
 * The C definitions of tap_kmod_ufiles and tap_kmod_nufiles for the
 * program's probed files and `extra` (-d FILE, canonical paths).
 */
export function userSymbolTables(program: Program, extra: readonly string[] = []): string[] {
	const out: string[] = [];
	const files: string[] = [];
	for (const { path, syms } of userSymbolFiles(program, extra)) {
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
