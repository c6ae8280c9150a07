// The lexer: characters to tokens, exactly as stap 4.8's lexer::scan does it,
// including command-line argument pasting ($1, @1, $#, @#), which splices the
// argument text into the input while keeping the location of the '$1'.
//
// Speed (docs/parse.md): the common case works on char codes with local
// variables, finds the ends of comments, strings and embedded code with
// indexOf, and hands out operator and keyword texts as shared constant
// strings, so the parser's comparisons with them are pointer comparisons.
// Only argument references and the text they paste go char by char
// (scanSlow), because those chars all keep the location of the '$1'.
import type { Diagnostics } from './diagnostics.js';
import type { SourceFile } from './source.js';
import { type JunkKind, type Token, type TokenType, newToken } from './token.js';
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
const SPACE = 1, DIGIT = 2, ALPHA = 4, PUNCT = 8, IDENT = 16;
const CLASS = new Uint8Array(65536); // chars above 255 (only in -e text) have no class
for (let c = 0; c < 256; c++) {
	let k = 0;
	if (c === 32 || (c >= 9 && c <= 13)) k |= SPACE;
	if (c >= 48 && c <= 57) k |= DIGIT;
	if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) k |= ALPHA;
	if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) k |= PUNCT;
	if ((k & (ALPHA | DIGIT)) !== 0 || c === 95 /* _ */ || c === 36 /* $ */) k |= IDENT;
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

/** Keywords by length and first char, so that most identifiers are rejected without a string compare. */
const KEYWORD_SLOTS = new Map<number, string[]>();
for (const k of [...BASE_KEYWORDS, 'private']) {
	const slot = k.length * 256 + k.charCodeAt(0);
	KEYWORD_SLOTS.set(slot, [...(KEYWORD_SLOTS.get(slot) ?? []), k]);
}
const KEYWORD_SLOT_USED = new Uint8Array(16 * 256);
const KEYWORDS_BY_TEXT = new Map<string, string>([...BASE_KEYWORDS, 'private'].map((k) => [k, k]));
for (const slot of KEYWORD_SLOTS.keys()) KEYWORD_SLOT_USED[slot] = 1;

/** The builtin @operators (without '@'); a macro of the same name earns a warning. */
export function atWords(has: (v: string) => boolean): Set<string> {
	const w = ['cast', 'defined', 'probewrite', 'entry', 'perf', 'var', 'avg', 'count', 'sum', 'min', 'max',
		'hist_linear', 'hist_log'];
	if (has('3.1')) w.push('const', 'variance');
	if (has('4.0')) w.push('kregister', 'uregister', 'kderef', 'uderef');
	return new Set(w);
}

/** One-char operator texts by char code (one shared string each). */
const ONE_CHAR_OPS: string[] = [];
for (let c = 0; c < 256; c++) ONE_CHAR_OPS.push(String.fromCharCode(c));
/** Two-character operators, keyed by the pair of char codes. */
const TWO_CHAR_OPS = new Map<number, string>(
	['==', '!=', '<=', '>=', '=~', '!~', '+=', '-=', '*=', '/=', '%=', '&=', '^=', '|=', '.=', '&&', '||',
		'++', '--', '->', '<<', '>>', '%(', '%?', '%:', '%)'].map((s) => [s.charCodeAt(0) * 256 + s.charCodeAt(1), s]),
);
const THREE_CHAR_OPS = new Map<string, string>(['<<<', '>>>', '<<=', '>>='].map((s) => [s, s]));

/**
 * Short names recently seen, by hash: a name that repeats (most do) shares
 * one string instead of a new one per token (less to allocate and to keep).
 * Only names short enough to be copied, not sliced, by V8: a sliced string
 * would keep its whole file's text alive in this table.
 */
const MAX_SHARED_WORD = 12;
const SHARED_WORDS: string[] = new Array<string>(4096).fill('');

function sharedWord(s: string, start: number, len: number, hash: number): string {
	const slot = hash & 4095;
	const w = SHARED_WORDS[slot]!;
	if (w.length === len && s.startsWith(w, start)) return w;
	return (SHARED_WORDS[slot] = s.slice(start, start + len));
}

/** Per language version: the keyword and @word sets, made once. */
const vocabularies = new Map<string, { keywords: Set<string>; atwords: Set<string>; hasPrivate: boolean }>();

export class Lexer {
	/** The current token followed a comment. */
	ateComment = false;
	/** The most recently scanned token followed whitespace (the parser glues probe-point pieces on this). */
	ateWhitespace = false;
	/** The lexer has produced at least one token (before preprocessing). */
	sawTokens = false;
	readonly keywords: Set<string>;
	readonly atwords: Set<string>;
	private readonly hasPrivate: boolean;

	private input: string;
	private pos = 0;
	private end: number;
	/** Chars of pasted argument text still to be read; while > 0, the location stays at the '$1'. */
	private suspendCount = 0;
	private suspendLine = 1;
	private suspendColumn = 1;
	private line = 1;
	/** Outside pasted text, the column of the char at `pos` is pos - lineStart + 1. */
	private lineStart = 0;
	/** Inside pasted text: the column every char has. */
	private pastedColumn = 1;
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
		const key = opts.checkCompatible ? opts.compatible : '';
		let vocab = vocabularies.get(key);
		if (!vocab) {
			const has = (v: string): boolean => this.hasVersion(v);
			const keywords = new Set(BASE_KEYWORDS);
			if (has('3.0')) keywords.add('private');
			vocab = { keywords, atwords: atWords(has), hasPrivate: has('3.0') };
			vocabularies.set(key, vocab);
		}
		this.keywords = vocab.keywords;
		this.atwords = vocab.atwords;
		this.hasPrivate = vocab.hasPrivate;
	}

	private readonly versionAnswers = new Map<string, boolean>();

	hasVersion(v: string): boolean {
		if (!this.opts.checkCompatible) return true;
		let ok = this.versionAnswers.get(v);
		if (ok === undefined) this.versionAnswers.set(v, (ok = versionAtLeast(this.opts.compatible, v)));
		return ok;
	}

	private get column(): number {
		return this.suspendCount > 0 ? this.pastedColumn : this.pos - this.lineStart + 1;
	}

	/** Set the location of the char at `pos`. */
	private setLocation(line: number, column: number): void {
		this.line = line;
		if (this.suspendCount > 0) this.pastedColumn = column;
		else this.lineStart = this.pos - column + 1;
	}

	private peekc(n = 0): number {
		const p = this.pos + n;
		return p < this.end ? this.input.charCodeAt(p) : -1;
	}

	/** One char, keeping the location as stap's input_get does (used only near pasted text). */
	private getc(): number {
		if (this.pos >= this.end) return -1;
		const c = this.input.charCodeAt(this.pos++);
		if (this.suspendCount > 0) {
			// Characters pasted from an argument keep the argument's location
			// until all of them are consumed.
			if (--this.suspendCount === 0) this.setLocation(this.suspendLine, this.suspendColumn);
		} else if (c === NEWLINE) {
			this.line++;
			this.lineStart = this.pos;
		}
		return c;
	}

	/** Paste `chars` at the read position, attributed to the location (line, column). */
	private put(chars: string, line: number, column: number): void {
		this.input = this.input.slice(0, this.pos) + chars + this.input.slice(this.pos);
		this.end = this.input.length;
		this.suspendLine = this.line;
		this.suspendColumn = this.column;
		this.suspendCount += chars.length;
		this.setLocation(line, column);
	}

	private make(type: TokenType, content: string, line: number, column: number, junk: JunkKind | null = null): Token {
		return newToken(type, content, this.file, line, column, null, junk);
	}

	/** Count the newlines in input[from, to) into the location. */
	private countLines(from: number, to: number): void {
		const s = this.input;
		for (let nl = s.indexOf('\n', from); nl >= 0 && nl < to; nl = s.indexOf('\n', nl + 1)) {
			this.line++;
			this.lineStart = nl + 1;
		}
	}

	scan(): Token | null {
		this.ateComment = false;
		this.ateWhitespace = false;
		const oldSawTokens = this.sawTokens;
		this.sawTokens = true;
		const t = this.suspendCount > 0 ? this.scanSlow() : this.scanPlain();
		if (t === null) this.sawTokens = oldSawTokens;
		return t;
	}

	/** The common case: no pasted text pending. */
	private scanPlain(): Token | null {
		const s = this.input;
		const end = this.end;
		let p = this.pos;
		for (;;) {
			if (p >= end) {
				this.pos = p;
				return null;
			}
			const c = s.charCodeAt(p);
			const k = CLASS[c]!;
			if (k & SPACE) {
				p++;
				if (c === NEWLINE) {
					this.line++;
					this.lineStart = p;
				}
				this.ateWhitespace = true;
				continue;
			}
			const line = this.line;
			const column = p - this.lineStart + 1;
			const c2 = p + 1 < end ? s.charCodeAt(p + 1) : -1;
			if ((c === DOLLAR || c === AT) && (c2 === HASH || (c2 >= 48 && c2 <= 57))) {
				// An argument reference: its text is pasted into the input.
				this.pos = p;
				return this.scanSlow();
			}
			if ((k & ALPHA) || c === DOLLAR || c === AT || c === UNDERSCORE) {
				const start = p++;
				let hash = c;
				for (; p < end; p++) {
					const d = s.charCodeAt(p);
					if (!(CLASS[d]! & IDENT)) break;
					hash = (hash * 31 + d) | 0;
				}
				this.pos = p;
				const len = p - start;
				const text = len <= MAX_SHARED_WORD ? sharedWord(s, start, len, hash) : s.slice(start, p);
				if (c === AT) return newToken('operator', text, this.file, line, column, null, null);
				if (len < 16 && KEYWORD_SLOT_USED[len * 256 + c] === 1) {
					for (const kw of KEYWORD_SLOTS.get(len * 256 + c)!) {
						if (kw === text && (kw !== 'private' || this.hasPrivate)) {
							return newToken('keyword', kw, this.file, line, column, null, null);
						}
					}
				}
				return newToken('identifier', text, this.file, line, column, null, null);
			}
			if (k & DIGIT) {
				const start = p++;
				while (p < end && (CLASS[s.charCodeAt(p)]! & (ALPHA | DIGIT))) p++;
				this.pos = p;
				return newToken('number', s.slice(start, p), this.file, line, column, null, null);
			}
			if (c === QUOTE) {
				this.pos = p + 1;
				return this.scanString(line, column);
			}
			if (k & PUNCT) {
				if (c === HASH || (c === SLASH && c2 === SLASH)) {
					// A line comment, with its newline.
					const nl = s.indexOf('\n', p);
					if (nl < 0) p = end;
					else {
						p = nl + 1;
						this.line++;
						this.lineStart = p;
					}
					this.ateComment = this.ateWhitespace = true;
					continue;
				}
				if (c === SLASH && c2 === STAR) {
					// stap looks for the closing '*/' from the char after '/*'.
					const close = s.indexOf('*/', p + 2);
					const after = close < 0 ? end : close + 2;
					this.countLines(p + 2, after);
					p = after;
					this.ateComment = this.ateWhitespace = true;
					continue;
				}
				if (c === PERCENT && c2 === LBRACE) {
					this.pos = p + 2;
					return this.scanEmbedded(line, column);
				}
				let text: string | undefined;
				if ((c === 60 || c === 62) && c2 === c && p + 2 < end) text = THREE_CHAR_OPS.get(s.slice(p, p + 3));
				if (text === undefined && c2 >= 0) text = TWO_CHAR_OPS.get(c * 256 + c2);
				if (text === undefined) text = ONE_CHAR_OPS[c]!;
				this.pos = p + text.length;
				return newToken('operator', text, this.file, line, column, null, null);
			}
			this.pos = p + 1;
			return this.make('junk', '\\x' + c.toString(16).padStart(2, '0'), line, column, 'unknown');
		}
	}

	/**
	 * stap's scan loop char by char, for argument references and the pasted
	 * text they bring: those chars all keep the location of the '$1'.
	 */
	private scanSlow(): Token | null {
		for (;;) {
			const suspended = this.suspendCount > 0;
			const line = this.line;
			const column = this.column;
			let c = this.getc();
			if (c < 0) return null;
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
				while (cls(c2) & IDENT) {
					this.getc();
					c2 = this.peekc();
				}
				const text = this.input.slice(start, this.pos);
				if (c === AT) return this.make('operator', text, line, column);
				return this.keywords.has(text)
					? this.make('keyword', KEYWORDS_BY_TEXT.get(text)!, line, column)
					: this.make('identifier', text, line, column);
			}
			if (cls(c) & DIGIT) {
				const start = this.pos - 1;
				while (cls(c2) & (ALPHA | DIGIT)) {
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
				if (c === PERCENT && c2 === LBRACE) {
					this.getc();
					return this.scanEmbedded(line, column);
				}
				let text = ONE_CHAR_OPS[c]!;
				if ((c === 60 || c === 62) && c2 === c && (c3 === c || c3 === 61)) {
					// <<< >>> <<= >>=
					text = THREE_CHAR_OPS.get(text + ONE_CHAR_OPS[this.getc()]! + ONE_CHAR_OPS[this.getc()]!)!;
				} else if (TWO_CHAR_OPS.has(c * 256 + c2)) {
					text = TWO_CHAR_OPS.get(c * 256 + this.getc())!;
				}
				return this.make('operator', text, line, column);
			}
			return this.make('junk', '\\x' + c.toString(16).padStart(2, '0'), line, column, 'unknown');
		}
	}

	/** After the opening '"'. */
	private scanString(line: number, column: number): Token {
		// Fast path: no escapes, closed on this line.
		const close = this.input.indexOf('"', this.pos);
		if (close >= 0 && this.suspendCount === 0) {
			const body = this.input.slice(this.pos, close);
			if (body.indexOf('\\') < 0 && body.indexOf('\n') < 0) {
				this.pos = close + 1;
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

	/** After the opening '%{'. */
	private scanEmbedded(line: number, column: number): Token {
		if (this.suspendCount === 0) {
			// stap compares each pair of chars from the first one after '%{'.
			const s = this.input;
			const start = this.pos;
			const close = s.indexOf('%}', start);
			const stop = close < 0 ? this.end : close;
			for (let w = s.indexOf('}%', start); w >= 0 && w < stop; w = s.indexOf('}%', w + 1)) {
				this.diags.warn("possible erroneous closing '}%', use '%}'?", this.make('embedded', '', line, column));
			}
			this.countLines(start, close < 0 ? this.end : close + 2);
			this.pos = close < 0 ? this.end : close + 2;
			return close < 0
				? this.make('junk', '', line, column, 'unclosed_embedded')
				: this.make('embedded', s.slice(start, close), line, column);
		}
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
