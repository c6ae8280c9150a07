// The bytes a regular expression literal stands for. A script's string
// literal keeps C's escapes ("\\n", "\\101", "\\\\"; parse/lexer.ts), which
// the C compiler would give their meaning; a pattern is compiled here
// instead, so those escapes are undone first, as stap's regex compiler
// does: "\\." in a script is the two bytes `\.`, an escaped dot.

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", '?': '?' };

/** The value of a script string literal as its bytes (one char per byte). */
export function literalBytes(value: string): string {
	let out = '';
	for (let i = 0; i < value.length; i++) {
		const c = value[i]!;
		if (c !== '\\' || i + 1 >= value.length) {
			out += c;
			continue;
		}
		const n = value[i + 1]!;
		if (n in SIMPLE) {
			out += SIMPLE[n];
			i++;
		} else if (n >= '0' && n <= '7') {
			let j = i + 1;
			let v = 0;
			while (j < value.length && j < i + 4 && value[j]! >= '0' && value[j]! <= '7') v = v * 8 + Number(value[j++]);
			out += String.fromCharCode(v & 0xff);
			i = j - 1;
		} else if (n === 'x' && /^[0-9a-fA-F]/.test(value[i + 2] ?? '')) {
			let j = i + 2;
			let v = 0;
			while (j < value.length && /^[0-9a-fA-F]$/.test(value[j]!)) v = ((v << 4) | parseInt(value[j++]!, 16)) & 0xff;
			out += String.fromCharCode(v);
			i = j - 1;
		} else {
			out += c;
		}
	}
	return out;
}
