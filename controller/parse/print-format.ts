// printf format strings split into literal text and conversions, as stap's
// print_format::string_to_components; malformed formats are parse errors.
import type { FormatComponent, PrintFormatConversion } from './ast.js';
import { ParseError } from './diagnostics.js';

const CONVERSIONS: Record<string, { type: PrintFormatConversion; base: number; sign?: boolean; large?: boolean; special?: boolean }> = {
	b: { type: 'binary', base: 0 },
	c: { type: 'char', base: 0 },
	s: { type: 'string', base: 0 },
	m: { type: 'memory', base: 0 },
	M: { type: 'memory_hex', base: 0 },
	d: { type: 'number', base: 10, sign: true },
	i: { type: 'number', base: 10, sign: true },
	u: { type: 'number', base: 10 },
	o: { type: 'number', base: 8 },
	x: { type: 'number', base: 16 },
	X: { type: 'number', base: 16, large: true },
	p: { type: 'pointer', base: 16, special: true }, // since stap 1.3, %p is %#x
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function literal(text: string): FormatComponent {
	return {
		type: 'literal', literal: text, width: null, precision: null, base: 0,
		flags: { zeropad: false, plus: false, space: false, left: false, special: false, sign: false, large: false },
	};
}

export function parseFormatString(str: string): FormatComponent[] {
	const res: FormatComponent[] = [];
	let text = '';
	let i = 0;
	while (i < str.length) {
		if (str[i] !== '%') {
			text += str[i++];
			continue;
		}
		if (i + 1 === str.length) {
			// A lone trailing '%': stap reads past the end of the string here and fails.
			throw new ParseError('invalid or missing conversion specifier');
		}
		if (str[i + 1] === '%') {
			text += '%';
			i += 2;
			continue;
		}
		if (text !== '') {
			res.push(literal(text));
			text = '';
		}
		i++;
		const flags = { zeropad: false, plus: false, space: false, left: false, special: false, sign: false, large: false };
		let started = false; // anything of a conversion seen (stap's !is_empty())
		switch (str[i]) {
			case '0': flags.zeropad = started = true; i++; break;
			case '+': flags.plus = started = true; i++; break;
			case '-': flags.left = started = true; i++; break;
			case ' ': flags.space = started = true; i++; break;
			case '#': flags.special = started = true; i++; break;
		}
		let width: number | '*' | null = null;
		let precision: number | '*' | null = null;
		// Width and precision: a number or '*' each.
		const amount = (): number | '*' | null => {
			if (str[i] === '*') {
				i++;
				started = true;
				return '*';
			}
			if (!isDigit(str[i])) return null;
			let n = 0;
			while (isDigit(str[i])) n = n * 10 + (str.charCodeAt(i++) - 48);
			started = true;
			return n;
		};
		// stap's translator takes one flag; its runtime reads them all, so the 0
		// of "%#08x" or "%-05d" (a width written with a leading 0) pads with zeros
		if (str[i] === '0') flags.zeropad = true;
		width = amount();
		if (str[i] === '.') {
			i++;
			precision = amount();
		}
		if (str[i] === 'l') i++;
		if (i >= str.length) {
			if (started) throw new ParseError('trailing incomplete print format conversion');
			return res; // e.g. "%l": stap silently drops it
		}
		const conv = CONVERSIONS[str[i]!];
		if (!conv) throw new ParseError('invalid or missing conversion specifier');
		i++;
		res.push({
			type: conv.type, literal: '', width, precision, base: conv.base,
			flags: { ...flags, sign: !!conv.sign, large: !!conv.large, special: flags.special || !!conv.special },
		});
	}
	if (text !== '') res.push(literal(text));
	return res.slice(); // exactly as long as it is (a pushed array keeps spare room)
}
