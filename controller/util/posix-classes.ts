// POSIX's character classes ([:alpha:] ...) in the C locale, by byte: for
// stap's fnmatch-style version patterns (parse/versions.ts) and for
// regular expressions (regex/parse.ts).

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export const POSIX_CLASSES: Readonly<Record<string, (c: number) => boolean>> = {
	alpha: isAlpha,
	digit: isDigit,
	alnum: (c) => isAlpha(c) || isDigit(c),
	upper: (c) => c >= 65 && c <= 90,
	lower: (c) => c >= 97 && c <= 122,
	space: (c) => c === 32 || (c >= 9 && c <= 13),
	blank: (c) => c === 32 || c === 9,
	punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
	print: (c) => c >= 32 && c <= 126,
	graph: (c) => c >= 33 && c <= 126,
	cntrl: (c) => c < 32 || c === 127,
	xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};
