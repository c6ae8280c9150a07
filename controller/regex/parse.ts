// POSIX extended regular expressions (as egrep's, which stap's =~ follows)
// over bytes: alternation, grouping, `* + ? {m} {m,} {m,n}`, `.`, bracket
// expressions with ranges and [:class:]es, `^` and `$` anywhere, and `\`
// before a punctuation character for the character itself. Captures are
// only groups here: =~ answers whether the pattern occurs in the string.

import { POSIX_CLASSES } from '../util/posix-classes.js';

/** A set of bytes: 256 flags. */
export type ByteSet = Uint8Array;

export type ReNode =
	| { readonly kind: 'set'; readonly set: ByteSet }
	| { readonly kind: 'cat'; readonly items: readonly ReNode[] }
	| { readonly kind: 'alt'; readonly items: readonly ReNode[] }
	/** max -1: unbounded. */
	| { readonly kind: 'repeat'; readonly node: ReNode; readonly min: number; readonly max: number }
	| { readonly kind: 'bol' }
	| { readonly kind: 'eol' }
	| { readonly kind: 'empty' };

export class RegexSyntaxError extends Error {}

/** POSIX's RE_DUP_MAX: the largest count a bound may give. */
export const MAX_REPEAT = 255;

const CLASSES = POSIX_CLASSES;

const single = (c: number): ByteSet => {
	const s = new Uint8Array(256);
	s[c] = 1;
	return s;
};

/** `.`: every byte but NUL (a script string ends at its first NUL). */
const ANY: ByteSet = (() => {
	const s = new Uint8Array(256).fill(1);
	s[0] = 0;
	return s;
})();

class Parser {
	private pos = 0;

	constructor(private readonly p: string) {}

	parse(): ReNode {
		const node = this.alternation();
		if (this.pos < this.p.length) throw this.error(`unmatched ')'`);
		return node;
	}

	private error(message: string): RegexSyntaxError {
		return new RegexSyntaxError(`${message} at offset ${this.pos} of the regular expression`);
	}

	private alternation(): ReNode {
		const items = [this.concatenation()];
		while (this.p[this.pos] === '|') {
			this.pos++;
			items.push(this.concatenation());
		}
		return items.length === 1 ? items[0]! : { kind: 'alt', items };
	}

	private concatenation(): ReNode {
		const items: ReNode[] = [];
		while (this.pos < this.p.length && this.p[this.pos] !== '|' && this.p[this.pos] !== ')') items.push(this.piece());
		return items.length === 0 ? { kind: 'empty' } : items.length === 1 ? items[0]! : { kind: 'cat', items };
	}

	private piece(): ReNode {
		const c = this.p[this.pos]!;
		if (c === '*' || c === '+' || c === '?' || (c === '{' && this.bound() !== null)) throw this.error(`'${c}' with nothing to repeat`);
		let node = this.atom();
		for (;;) {
			const q = this.p[this.pos];
			let min: number;
			let max: number;
			if (q === '*') [min, max] = [0, -1];
			else if (q === '+') [min, max] = [1, -1];
			else if (q === '?') [min, max] = [0, 1];
			else if (q === '{') {
				const b = this.bound();
				if (b === null) break;
				[min, max] = b.range;
				this.pos = b.end - 1;
			} else break;
			this.pos++;
			if (node.kind === 'bol' || node.kind === 'eol') throw this.error('an anchor cannot be repeated');
			node = { kind: 'repeat', node, min, max };
		}
		return node;
	}

	/** `{m}`, `{m,}` or `{m,n}` at pos, with where it ends; null where `{` is just a brace (as egrep). */
	private bound(): { range: [number, number]; end: number } | null {
		const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.pos));
		if (!m) return null;
		const min = Number(m[1]);
		const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
		if (min > MAX_REPEAT || max > MAX_REPEAT) throw this.error(`a repeat count above ${MAX_REPEAT}`);
		if (max !== -1 && max < min) throw this.error(`the bound {${m[1]}${m[2] ?? ''}} counts down`);
		return { range: [min, max], end: this.pos + m[0].length };
	}

	private atom(): ReNode {
		const c = this.p[this.pos++]!;
		switch (c) {
			case '(': {
				const inner = this.alternation();
				if (this.p[this.pos] !== ')') throw this.error(`unmatched '('`);
				this.pos++;
				return inner;
			}
			case '[':
				return { kind: 'set', set: this.bracket() };
			case '.':
				return { kind: 'set', set: ANY };
			case '^':
				return { kind: 'bol' };
			case '$':
				return { kind: 'eol' };
			case '\\': {
				if (this.pos >= this.p.length) throw this.error('a trailing backslash');
				const e = this.p[this.pos++]!;
				if (/[A-Za-z0-9]/.test(e)) throw this.error(`the escape '\\${e}', which egrep's dialect does not define`);
				return { kind: 'set', set: single(e.charCodeAt(0)) };
			}
			default:
				return { kind: 'set', set: single(c.charCodeAt(0) & 0xff) };
		}
	}

	/** After `[`: the bracket expression up to its `]`. */
	private bracket(): ByteSet {
		const set = new Uint8Array(256);
		const negate = this.p[this.pos] === '^';
		if (negate) this.pos++;
		let first = true;
		for (;;) {
			if (this.pos >= this.p.length) throw this.error(`unmatched '['`);
			const c = this.p[this.pos]!;
			if (c === ']' && !first) {
				this.pos++;
				break;
			}
			first = false;
			if (c === '[' && /[:.=]/.test(this.p[this.pos + 1] ?? '')) {
				const kind = this.p[this.pos + 1]!;
				const close = this.p.indexOf(`${kind}]`, this.pos + 2);
				if (close < 0) throw this.error(`unterminated '[${kind}'`);
				const name = this.p.slice(this.pos + 2, close);
				this.pos = close + 2;
				if (kind === ':') {
					const test = CLASSES[name];
					if (!test) throw this.error(`the unknown character class [:${name}:]`);
					for (let b = 0; b < 256; b++) if (test(b)) set[b] = 1;
				} else {
					if (name.length !== 1) throw this.error(`the collating element [${kind}${name}${kind}]`);
					set[name.charCodeAt(0) & 0xff] = 1;
				}
				continue;
			}
			const lo = c.charCodeAt(0) & 0xff;
			this.pos++;
			if (this.p[this.pos] === '-' && this.p[this.pos + 1] !== undefined && this.p[this.pos + 1] !== ']') {
				const hi = this.p.charCodeAt(this.pos + 1) & 0xff;
				if (hi < lo) throw this.error(`the range ${c}-${this.p[this.pos + 1]} runs backwards`);
				for (let b = lo; b <= hi; b++) set[b] = 1;
				this.pos += 2;
			} else set[lo] = 1;
		}
		if (negate) for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1;
		set[0] = 0;
		return set;
	}
}

/** The tree of a pattern (its bytes, one char per byte); a RegexSyntaxError says what is wrong and where. */
export function parseRegex(pattern: string): ReNode {
	return new Parser(pattern).parse();
}
