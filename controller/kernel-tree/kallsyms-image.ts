// The kernel's own symbol table (what /proc/kallsyms shows) read out of a
// vmlinux image, for trees whose System.map is missing or a placeholder.
// scripts/kallsyms.c compresses it into .rodata as, each label 8-aligned:
//   kallsyms_num_syms   u32
//   kallsyms_names      per symbol: length (one byte, or two when >= 0x80,
//                       since 6.1) and that many token indexes
//   kallsyms_markers    u32 per 256 symbols: offset of symbol 256*k in names
//   kallsyms_token_table 256 NUL-terminated tokens
//   kallsyms_token_index u16 per token: its offset in the table
// The image carries no symbols naming these, so they are found by their
// shape and every step is cross-checked; a layout this reader does not know
// (later kernels add tables) gives undefined, never wrong names.
import { elfSection } from './elf-sections.js';

/** Token strings for the digits: single characters stand for themselves, and digits occur in names. */
const DIGIT_TOKENS = Buffer.from('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00', 'latin1');
const MAX_SYMBOLS = 4_000_000;

const align8 = (n: number) => (n + 7) & ~7;

interface TokenTable {
	start: number;
	tokens: string[];
}

/** The token table whose digit tokens begin at `digits`, if the index that follows it agrees. */
function tokenTableAt(ro: Buffer, digits: number): TokenTable | undefined {
	// Walk tokens '0' (48) .. 255 to the end of the table; the index follows, 8-aligned.
	let at = digits;
	for (let i = 48; i < 256; i++) {
		const nul = ro.indexOf(0, at);
		if (nul < 0 || nul === at) return undefined;
		at = nul + 1;
	}
	const indexAt = align8(at);
	if (indexAt + 512 > ro.length) return undefined;
	const index = (i: number) => ro.readUInt16LE(indexAt + 2 * i);
	const start = digits - index(48);
	if (index(0) !== 0 || start < 0) return undefined;
	const tokens: string[] = [];
	for (let i = 0; i < 256; i++) {
		const from = start + index(i);
		const to = ro.indexOf(0, from);
		if (to <= from || (i < 255 && to + 1 !== start + index(i + 1))) return undefined;
		tokens.push(ro.toString('latin1', from, to));
	}
	return { start, tokens };
}

/** Decodes `count` names starting at `namesAt`, checking them against the markers. */
function decodeNames(ro: Buffer, namesAt: number, count: number, markersAt: number, tokens: string[]): string[] | undefined {
	const names: string[] = [];
	let at = namesAt;
	for (let i = 0; i < count; i++) {
		if (i % 256 === 0 && ro.readUInt32LE(markersAt + 4 * (i / 256)) !== at - namesAt) return undefined;
		if (at >= markersAt) return undefined;
		let len = ro[at++]!;
		if (len & 0x80) len = (len & 0x7f) | (ro[at++]! << 7);
		if (len === 0 || at + len > markersAt) return undefined;
		let name = '';
		for (let k = 0; k < len; k++) name += tokens[ro[at + k]!];
		names.push(name);
		at += len;
	}
	return align8(at) === markersAt ? names : undefined;
}

/** The markers are 0 first, then strictly increasing: random bytes seldom are. */
function plausibleMarkers(ro: Buffer, at: number, count: number): boolean {
	if (at < 8 || ro.readUInt32LE(at) !== 0) return false;
	for (let k = 1; k < count; k++) if (ro.readUInt32LE(at + 4 * k) <= ro.readUInt32LE(at + 4 * (k - 1))) return false;
	return true;
}

/**
 * Every symbol of the kernel image as "TYPE NAME" (the type letter as
 * /proc/kallsyms shows it), or undefined when the table is not found.
 */
export function kallsymsFromVmlinux(vmlinux: Buffer): string[] | undefined {
	const ro = elfSection(vmlinux, '.rodata');
	return ro && kallsymsFromRodata(ro);
}

/** The same, from the contents of the .rodata section (8-aligned as in the image). */
export function kallsymsFromRodata(ro: Buffer): string[] | undefined {
	for (let digits = ro.indexOf(DIGIT_TOKENS); digits >= 0; digits = ro.indexOf(DIGIT_TOKENS, digits + 1)) {
		const table = tokenTableAt(ro, digits);
		if (!table) continue;
		// Between the markers and the token table, 6.2 (and stable kernels
		// that took the change) put kallsyms_seqs_of_names, 3 bytes a symbol.
		for (const seqBytes of [3, 0]) {
			for (let count = 1; count <= MAX_SYMBOLS; count++) {
				const markers = Math.ceil(count / 256);
				const markersAt = table.start - align8(seqBytes * count) - align8(4 * markers);
				if (markersAt < 16) break;
				if (!plausibleMarkers(ro, markersAt, markers)) continue;
				// The names take more than the last marker's offset (its group follows it); num_syms precedes them.
				const lastMarker = ro.readUInt32LE(markersAt + 4 * (markers - 1));
				const highest = ((markersAt - lastMarker - 1) & ~7) - 8;
				for (let numAt = highest; numAt >= Math.max(0, highest - 256 * 256); numAt -= 8) {
					if (ro.readUInt32LE(numAt) !== count || ro.readUInt32LE(numAt + 4) !== 0) continue;
					const names = decodeNames(ro, numAt + 8, count, markersAt, table.tokens);
					if (names) return names.map((n) => `${n[0]} ${n.slice(1)}`);
				}
			}
		}
	}
	return undefined;
}
