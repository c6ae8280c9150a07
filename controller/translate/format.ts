// printf formats for the runtime's format table: the parsed components of a
// printf back in stap's syntax (the runtime formats them exactly as stap's
// vsprintf.c), and the formats print/println/printd/printdln imply.
import type { FormatComponent } from '../parse/ast.js';

function conversionChar(c: FormatComponent): string {
	switch (c.type) {
		case 'number':
			if (c.base === 16) return c.flags.large ? 'X' : 'x';
			if (c.base === 8) return 'o';
			return c.flags.sign ? 'd' : 'u';
		case 'string': return 's';
		case 'char': return 'c';
		case 'pointer': return 'p';
		case 'memory': return 'm';
		case 'memory_hex': return 'M';
		case 'binary': return 'b';
		default: return '';
	}
}

/** Escapes literal text for a format (a lone % would be a directive). */
export function formatLiteral(text: string): string {
	return text.replace(/%/g, '%%');
}

/** The stap format string of parsed components. */
export function renderFormat(components: readonly FormatComponent[]): string {
	let out = '';
	for (const c of components) {
		if (c.type === 'literal') {
			out += formatLiteral(c.literal);
			continue;
		}
		let s = '%';
		if (c.flags.left) s += '-';
		if (c.flags.plus) s += '+';
		if (c.flags.space) s += ' ';
		if (c.flags.special) s += '#';
		if (c.flags.zeropad) s += '0';
		if (c.width !== null) s += c.width === '*' ? '*' : String(c.width);
		if (c.precision !== null) s += '.' + (c.precision === '*' ? '*' : String(c.precision));
		out += s + conversionChar(c);
	}
	return out;
}

/** What each format argument is: a long (including * widths) or a string. */
export function formatArgKinds(components: readonly FormatComponent[]): ('long' | 'string')[] {
	const kinds: ('long' | 'string')[] = [];
	for (const c of components) {
		if (c.type === 'literal') continue;
		if (c.width === '*') kinds.push('long');
		if (c.precision === '*') kinds.push('long');
		kinds.push(c.type === 'string' || c.type === 'memory' || c.type === 'memory_hex' ? 'string' : 'long');
	}
	return kinds;
}
