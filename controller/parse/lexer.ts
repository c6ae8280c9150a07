// The lexer: characters to tokens, exactly as stap 4.8's lexer::scan does it,
// including command-line argument pasting ($1, @1, $#, @#), which splices the
// argument text into the input while keeping the location of the '$1'.
import type { Diagnostics } from './diagnostics.js';
import type { SourceFile } from './source.js';
import type { JunkKind, Token, TokenType } from './token.js';
import { versionAtLeast } from './versions.js';

export interface LexerOptions {
	/** Script arguments for $1.., @1.., $#, @#. */
	readonly args: readonly string[];
	/** `--compatible` version; features newer than it are not recognised. */
	readonly compatible: string;
	/** False for the builtin tapset directory, which may use every feature. */
	readonly checkCompatible: boolean;
}

// C-locale character classes over byte values (stap uses <cctype> on bytes).
const SPACE = 1, DIGIT = 2, ALPHA = 4, PUNCT = 8;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
	let k = 0;
	if (c === 32 || (c >= 9 && c <= 13)) k |= SPACE;
	if (c >= 48 && c <= 57) k |= DIGIT;
	if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) k |= ALPHA;
	if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) k |= PUNCT;
	CLASS[c] = k;
}
const cls = (c: number): number => (c < 0 ? 0 : CLASS[c]!);
export const isAlnum = (c: number): boolean => (cls(c) & (ALPHA | DIGIT)) !== 0;
export const isSpace = (c: number): boolean => (cls(c) & SPACE) !== 0;
export const isPrint = (c: number): boolean => c >= 32 && c <= 126;

const CH = (s: string): number => s.charCodeAt(0);
const DOLLAR = CH('$'), AT = CH('@'), HASH = CH('#'), UNDERSCORE = CH('_'), QUOTE = CH('"');
const BACKSLASH = CH('\\'), NEWLINE = 10, SLASH = CH('/'), STAR = CH('*'), PERCENT = CH('%');
const LBRACE = CH('{'), RBRACE = CH('}');

const BASE_KEYWORDS = [
	'probe', 'global', 'function', 'if', 'else', 'for', 'foreach', 'in', 'limit', 'return',
	'delete', 'while', 'break', 'continue', 'next', 'string', 'long', 'try', 'catch',
];

/** The builtin @operators (without '@'); a macro of the same name earns a warning. */
export function atWords(has: (v: string) => boolean): Set<string> {
	const w = ['cast', 'defined', 'probewrite', 'entry', 'perf', 'var', 'avg', 'count', 'sum', 'min', 'max',
		'hist_linear', 'hist_log'];
	if (has('3.1')) w.push('const', 'variance');
	if (has('4.0')) w.push('kregister', 'uregister', 'kderef', 'uderef');
	return new Set(w);
}

// Two-character operators, keyed by the pair of char codes.
const TWO_CHAR_OPS = new Set<number>(
	['==', '!=', '<=', '>=', '=~', '!~', '+=', '-=', '*=', '/=', '%=', '&=', '^=', '|=', '.=', '&&', '||',
		'++', '--', '->', '<<', '>>', '%(', '%?', '%:', '%)'].map((s) => s.charCodeAt(0) * 256 + s.charCodeAt(1)),
);

export class Lexer {
	/** The current token followed a comment. */
	ateComment = false;
	/** The most recently scanned token followed whitespace (the parser glues probe-point pieces on this). */
	ateWhitespace = false;
	/** The lexer has produced at least one token (before preprocessing). */
	sawTokens = false;
	readonly keywords: Set<string>;
	readonly atwords: Set<string>;

	private input: string;
	private pos = 0;
	private end: number;
	private suspendCount = 0;
	private suspendLine = 1;
	private suspendColumn = 1;
	private line = 1;
	private column = 1;
	/** Which arguments were referenced (stap warns about unused ones in later passes). */
	readonly usedArgs: boolean[];

	constructor(
		readonly file: SourceFile,
		private readonly opts: LexerOptions,
		private readonly diags: Diagnostics,
	) {
		this.input = file.contents;
		this.end = this.input.length;
		this.usedArgs = opts.args.map(() => false);
		const has = (v: string): boolean => this.hasVersion(v);
		this.keywords = new Set(BASE_KEYWORDS);
		if (has('3.0')) this.keywords.add('private');
		this.atwords = atWords(has);
	}

	private readonly versionAnswers = new Map<string, boolean>();

	hasVersion(v: string): boolean {
		if (!this.opts.checkCompatible) return true;
		let ok = this.versionAnswers.get(v);
		if (ok === undefined) this.versionAnswers.set(v, (ok = versionAtLeast(this.opts.compatible, v)));
		return ok;
	}

	private peekc(n = 0): number {
		const p = this.pos + n;
		return p < this.end ? this.input.charCodeAt(p) : -1;
	}

	private getc(): number {
		if (this.pos >= this.end) return -1;
		const c = this.input.charCodeAt(this.pos++);
		if (this.suspendCount > 0) {
			// Characters pasted from an argument keep the argument's location
			// until all of them are consumed.
			if (--this.suspendCount === 0) {
				this.line = this.suspendLine;
				this.column = this.suspendColumn;
			}
		} else if (c === NEWLINE) {
			this.line++;
			this.column = 1;
		} else {
			this.column++;
		}
		return c;
	}

	/** Paste `chars` at the read position, attributed to the location (line, column). */
	private put(chars: string, line: number, column: number): void {
		this.input = this.input.slice(0, this.pos) + chars + this.input.slice(this.pos);
		this.end = this.input.length;
		this.suspendCount += chars.length;
		this.suspendLine = this.line;
		this.suspendColumn = this.column;
		this.line = line;
		this.column = column;
	}

	private make(type: TokenType, content: string, line: number, column: number, junk: JunkKind | null = null): Token {
		return { type, content, file: this.file, line, column, chain: null, junk };
	}

	scan(): Token | null {
		this.ateComment = false;
		this.ateWhitespace = false;
		const oldSawTokens = this.sawTokens;
		this.sawTokens = true;

		for (;;) {
			const suspended = this.suspendCount > 0;
			const line = this.line;
			const column = this.column;
			let c = this.getc();
			if (c < 0) {
				this.sawTokens = oldSawTokens;
				return null;
			}
			if (isSpace(c)) {
				this.ateWhitespace = true;
				continue;
			}
			let c2 = this.peekc();

			if ((c === DOLLAR || c === AT) && c2 === HASH) {
				this.getc();
				// stap's junk tokens for arguments carry no text.
				if (suspended) return this.make('junk', '', line, column, 'nested_arg');
				const n = String(this.opts.args.length);
				this.put(c === DOLLAR ? n : quoteString(n), line, column);
				continue;
			}
			if ((c === DOLLAR || c === AT) && (cls(c2) & DIGIT)) {
				let idx = 0;
				do {
					this.getc();
					idx = idx * 10 + (c2 - 48);
					c2 = this.peekc();
				} while (c2 > 0 && (cls(c2) & DIGIT) && idx <= this.opts.args.length);
				if (suspended) return this.make('junk', '', line, column, 'nested_arg');
				if (idx === 0 || idx - 1 >= this.opts.args.length) return this.make('junk', '', line, column, 'invalid_arg');
				this.usedArgs[idx - 1] = true;
				const arg = this.opts.args[idx - 1]!;
				this.put(c === DOLLAR ? arg : quoteString(arg), line, column);
				continue;
			}
			if ((cls(c) & ALPHA) || c === DOLLAR || c === AT || c === UNDERSCORE) {
				const start = this.pos - 1;
				while (isAlnum(c2) || c2 === UNDERSCORE || c2 === DOLLAR) {
					this.getc();
					c2 = this.peekc();
				}
				const text = this.input.slice(start, this.pos);
				const type: TokenType = c === AT ? 'operator' : this.keywords.has(text) ? 'keyword' : 'identifier';
				return this.make(type, text, line, column);
			}
			if (cls(c) & DIGIT) {
				const start = this.pos - 1;
				while (isAlnum(c2)) {
					this.getc();
					c2 = this.peekc();
				}
				return this.make('number', this.input.slice(start, this.pos), line, column);
			}
			if (c === QUOTE) return this.scanString(line, column);
			if (cls(c) & PUNCT) {
				const c3 = this.peekc(1);
				if (c === HASH || (c === SLASH && c2 === SLASH)) {
					const thisLine = this.line;
					do c = this.getc();
					while (c >= 0 && this.line === thisLine);
					this.ateComment = this.ateWhitespace = true;
					continue;
				}
				if (c === SLASH && c2 === STAR) {
					this.getc();
					c = this.getc();
					c2 = this.getc();
					while (c2 >= 0) {
						if (c === STAR && c2 === SLASH) break;
						c = c2;
						c2 = this.getc();
					}
					this.ateComment = this.ateWhitespace = true;
					continue;
				}
				if (c === PERCENT && c2 === LBRACE) return this.scanEmbedded(line, column);
				const start = this.pos - 1;
				if ((c === 60 || c === 62) && c2 === c && (c3 === c || c3 === 61)) {
					// <<< >>> <<= >>=
					this.getc();
					this.getc();
				} else if (TWO_CHAR_OPS.has(c * 256 + c2)) {
					this.getc();
				}
				return this.make('operator', this.input.slice(start, this.pos), line, column);
			}
			return this.make('junk', '\\x' + c.toString(16).padStart(2, '0'), line, column, 'unknown');
		}
	}

	private scanString(line: number, column: number): Token {
		// Fast path: no escapes, closed on this line.
		const close = this.input.indexOf('"', this.pos);
		if (close >= 0 && this.suspendCount === 0) {
			const body = this.input.slice(this.pos, close);
			if (body.indexOf('\\') < 0 && body.indexOf('\n') < 0) {
				this.pos = close + 1;
				this.column += body.length + 1;
				return this.make('string', body, line, column);
			}
		}
		let text = '';
		for (;;) {
			let c = this.getc();
			if (c < 0 || c === NEWLINE) return this.make('junk', '', line, column, 'unclosed_quote');
			if (c === QUOTE) break;
			if (c === BACKSLASH) {
				c = this.getc();
				// Known escapes keep their backslash: the value is emitted into a C literal later.
				const keep = c === BACKSLASH || (c >= 48 && c <= 55) || 'abtnvfr'.includes(String.fromCharCode(c))
					|| (c === CH('x') && this.hasVersion('2.3'));
				if (keep && c >= 0) text += '\\';
				text += String.fromCharCode(c < 0 ? 255 : c);
			} else {
				text += String.fromCharCode(c);
			}
		}
		return this.make('string', text, line, column);
	}

	private scanEmbedded(line: number, column: number): Token {
		this.getc(); // '{'
		let c = this.getc();
		let c2 = this.getc();
		const start = this.pos - 2;
		while (c2 >= 0) {
			if (c === PERCENT && c2 === RBRACE) {
				return this.make('embedded', this.input.slice(Math.max(start, 0), this.pos - 2), line, column);
			}
			if (c === RBRACE && c2 === PERCENT) {
				this.diags.warn("possible erroneous closing '}%', use '%}'?", this.make('embedded', '', line, column));
			}
			c = c2;
			c2 = this.getc();
		}
		return this.make('junk', '', line, column, 'unclosed_embedded');
	}
}

/** stap's lex_cast_qstring: double quotes, with '"' and '\\' escaped and unprintables as octal. */
export function quoteString(s: string): string {
	let out = '"';
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i) & 0xff;
		if (c === 0) break; // a C string ends at NUL
		if (!isPrint(c)) out += '\\' + ((c >> 6) & 7) + ((c >> 3) & 7) + (c & 7);
		else if (c === QUOTE || c === BACKSLASH) out += '\\' + String.fromCharCode(c);
		else out += String.fromCharCode(c);
	}
	return out + '"';
}
