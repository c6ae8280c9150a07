// The symbol tables a bpf module carries for usymname(), usymdata() and
// umodname() in kernel-side probes (runtime-c/bpf/tap_usyms_k.h), as C for
// the kernel side's .rodata: the files and symbols of user-symbol-files.ts
// (the probed files and -d FILE, as on kmod), the symbols of all files in
// one array by file and offset, their names and the files' paths in one
// block of NUL-terminated strings.
import type { Program } from '../elaborate/program.js';
import { cStringRaw } from './c-text.js';
import { userSymbolFiles } from './user-symbol-files.js';

/** All files' symbols together, and their names' bytes, at most (clang and the map's memory; past them a file is left out). */
export const MAX_BPF_SYMBOLS = 100_000;
export const MAX_BPF_SYMBOL_BYTES = 4 << 20;

/** In .rodata by name (see translate.ts: clang may otherwise place constant data where the kernel's BTF check refuses it). */
const RODATA = '__attribute__((unused, section(".rodata")))';

/** The kernel side's tables and their lookup, for a program whose kernel-side probes name user addresses. */
export function bpfUserSymbolTables(program: Program, extra: readonly string[] = []): string[] {
	const syms: string[] = [];
	const files: string[] = [];
	const names: string[] = [];
	let bytes = 0;
	const name = (s: string): number => {
		const at = bytes;
		names.push(cStringRaw(s + '\0'));
		bytes += Buffer.byteLength(s, 'latin1') + 1;
		return at;
	};
	for (const f of userSymbolFiles(program, extra)) {
		const size = f.syms.reduce((n, s) => n + s.name.length + 1, f.path.length + 1);
		if (syms.length + f.syms.length > MAX_BPF_SYMBOLS || bytes + size > MAX_BPF_SYMBOL_BYTES) continue;
		files.push(`\t{ ${syms.length}, ${f.syms.length}, ${name(f.path)} },`);
		for (const s of f.syms) syms.push(`\t{ 0x${s.fileOffset.toString(16)}ULL, 0x${s.size.toString(16)}ULL, ${name(s.name)} },`);
	}
	return [
		'/* symbol tables of the probed files and -d files, for usymname(), usymdata(), umodname() (tap_usyms_k.h) */',
		`#define TAP_NUFILES ${files.length}`,
		`#define TAP_NUSYMS ${syms.length}`,
		`#define TAP_USYM_BYTES ${bytes}`,
		// (C has no empty arrays)
		`static const struct tap_bpf_usym ${RODATA} tap_usyms[${Math.max(1, syms.length)}] = {`,
		...(syms.length ? syms : ['\t{ 0, 0, 0 },']),
		'};',
		`static const struct tap_bpf_ufile ${RODATA} tap_ufiles[${Math.max(1, files.length)}] = {`,
		...(files.length ? files : ['\t{ 0, 0, 0 },']),
		'};',
		`static const char ${RODATA} tap_usym_names[${Math.max(1, bytes)}] =`,
		...(names.length ? names.map((n) => `\t${n}`) : ['\t""']),
		'\t;',
		'#include "tap_usyms_k.h"',
		'',
	];
}
