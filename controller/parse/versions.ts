// glibc's strverscmp and fnmatch (without flags but FNM_NOESCAPE), which stap
// uses to compare versions and to match preprocessor conditions.
import { POSIX_CLASSES } from '../util/posix-classes.js';

// States of glibc's strverscmp automaton: normal, integer, fraction, leading zeros.
const S_N = 0, S_I = 3, S_F = 6, S_Z = 9;
const CMP = 2, LEN = 3;
const NEXT_STATE = [
	S_N, S_I, S_Z,
	S_N, S_I, S_I,
	S_N, S_F, S_F,
	S_N, S_F, S_Z,
];
const RESULT_TYPE = [
	CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
	CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
	CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
	CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
];

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const digitClass = (c: number): number => (c === 48 ? 1 : 0) + (isDigit(c) ? 1 : 0);
const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) & 0xff : 0);

/** Compare version strings as glibc's strverscmp does; returns <0, 0 or >0. */
export function strverscmp(s1: string, s2: string): number {
	let i = 0;
	let c1 = at(s1, i);
	let c2 = at(s2, i);
	i++;
	let state = S_N + digitClass(c1);
	let diff: number;
	while ((diff = c1 - c2) === 0) {
		if (c1 === 0) return 0;
		state = NEXT_STATE[state]!;
		c1 = at(s1, i);
		c2 = at(s2, i);
		i++;
		state += digitClass(c1);
	}
	const result = RESULT_TYPE[state * 3 + digitClass(c2)]!;
	if (result === CMP) return diff;
	if (result === LEN) {
		let p1 = i, p2 = i;
		while (isDigit(at(s1, p1++))) if (!isDigit(at(s2, p2++))) return 1;
		return isDigit(at(s2, p2)) ? -1 : diff;
	}
	return result;
}

/** stap's has_version: is `have` at least version `want`? */
export function versionAtLeast(have: string, want: string): boolean {
	return strverscmp(have, want) >= 0;
}

const CLASSES = POSIX_CLASSES;

/** Match a bracket expression at pattern[p] ('['); returns [matched, index after ']'] or null if unterminated. */
function matchBracket(pattern: string, p: number, c: number): [boolean, number] | null {
	let i = p + 1;
	let negate = false;
	if (pattern[i] === '!' || pattern[i] === '^') {
		negate = true;
		i++;
	}
	let matched = false;
	let first = true;
	for (;;) {
		if (i >= pattern.length) return null;
		const ch = pattern[i]!;
		if (ch === ']' && !first) return [matched !== negate, i + 1];
		first = false;
		if (ch === '[' && pattern[i + 1] === ':') {
			const close = pattern.indexOf(':]', i + 2);
			if (close > 0) {
				const test = CLASSES[pattern.slice(i + 2, close)];
				if (test && test(c)) matched = true;
				i = close + 2;
				continue;
			}
		}
		const lo = pattern.charCodeAt(i);
		if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
			const hi = pattern.charCodeAt(i + 2);
			if (c >= lo && c <= hi) matched = true;
			i += 3;
		} else {
			if (c === lo) matched = true;
			i++;
		}
	}
}

/** fnmatch(pattern, text, FNM_NOESCAPE) === 0 */
export function fnmatch(pattern: string, text: string): boolean {
	let p = 0, t = 0;
	let starP = -1, starT = -1;
	while (t < text.length) {
		const pc = pattern[p];
		if (pc === '*') {
			starP = ++p;
			starT = t;
			continue;
		}
		if (pc === '?') {
			p++;
			t++;
			continue;
		}
		if (pc === '[') {
			const r = matchBracket(pattern, p, text.charCodeAt(t));
			if (r === null) {
				if (text[t] === '[') {
					p++;
					t++;
					continue;
				}
			} else if (r[0]) {
				p = r[1];
				t++;
				continue;
			}
		} else if (pc !== undefined && pc === text[t]) {
			p++;
			t++;
			continue;
		}
		if (starP < 0) return false;
		p = starP;
		t = ++starT;
	}
	while (pattern[p] === '*') p++;
	return p === pattern.length;
}
