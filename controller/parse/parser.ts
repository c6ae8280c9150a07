// The parser's token cursor and the top level of a file, as stap's parser
// class: one token of lookahead over the preprocessed stream, stap's error
// recovery, and a nesting limit that turns runaway recursion into an error.
// The grammar itself lives in declarations.ts, probe-points.ts,
// statements.ts and expressions.ts.
import type { StapFile } from './ast.js';
import { parseEmbeddedCode, parseFunctionDecl, parseGlobal, parsePrivate, parseProbe } from './declarations.js';
import { type Diagnostics, ParseError } from './diagnostics.js';
import type { Lexer } from './lexer.js';
import type { MacroExpander } from './macros.js';
import type { ConditionalPreprocessor } from './preprocess.js';
import { isOp, type Token, type TokenType, tokenTypeName } from './token.js';

export type ParseContext = 'unknown' | 'probe' | 'global' | 'function' | 'embedded';

/**
 * How deeply statements and expressions may nest. Far beyond real scripts;
 * it keeps recursion well inside Node's default stack.
 */
export const MAX_NESTING = 500;

export interface ParserFlags {
	/** Guru mode (-g): embedded C and guru-only operators allowed. */
	readonly privileged: boolean;
	/** The user's script (not a tapset): function priority 0, "empty file" errors. */
	readonly userFile: boolean;
	/** Tapsets under a PATH directory record their file on probe points. */
	readonly autoPath: boolean;
	/**
	 * A library file (stap's pf_squash_errors): its errors are reported all the
	 * same; the caller skips the file with a warning instead of failing.
	 */
	readonly errorsAsWarnings: boolean;
}

/** Counts how often each function name was declared (stap numbers overloads across files). */
export type OverloadCounter = Map<string, number>;

export class Parser {
	context: ParseContext = 'unknown';
	/** The last token returned by peek() or next(): what "saw:" reports. */
	lastT: Token | null = null;
	/** The last token seen at all (swallow() does not forget it): where an unforeseen failure is reported. */
	private lastSeen: Token | null = null;
	private nextT: Token | null = null;
	private depth = 0;
	numErrors = 0;
	/**
	 * The tree's lists are gathered on one scratch stack and copied out at
	 * their exact length: an array grown by push keeps room for 17 elements,
	 * and the library's ~80k small lists would carry ~8 MB of empty slots
	 * through every garbage collection (docs/parse.md, Speed).
	 */
	private readonly scratch: unknown[] = [];
	private scratchTop = 0;

	constructor(
		readonly lexer: Lexer,
		readonly macros: MacroExpander,
		readonly pp: ConditionalPreprocessor,
		readonly flags: ParserFlags,
		readonly diags: Diagnostics,
		readonly overloads: OverloadCounter,
	) {}

	get inputName(): string {
		return this.lexer.file.name;
	}

	// ------------------------------------------------------------ cursor

	next(): Token {
		if (this.nextT === null) this.nextT = this.pp.scan();
		if (this.nextT === null) throw new ParseError('unexpected end-of-file');
		this.lastT = this.lastSeen = this.nextT;
		this.nextT = null;
		return this.lastT;
	}

	peek(): Token | null {
		if (this.nextT === null) this.nextT = this.pp.scan();
		this.lastT = this.nextT;
		if (this.nextT) this.lastSeen = this.nextT;
		return this.nextT;
	}

	/** Drop the token last peeked or nexted. */
	swallow(): void {
		this.lastT = this.nextT = null;
	}

	peekOp(op: string): boolean {
		return isOp(this.peek(), op);
	}

	expectKnown(type: TokenType, expected: string): void {
		const t = this.next();
		if (!(t.type === type && t.content === expected)) throw new ParseError(`expected '${expected}'`);
		this.swallow();
	}

	expectOp(expected: string): void {
		this.expectKnown('operator', expected);
	}

	expectOpAny(expected: readonly string[]): string {
		const t = this.next();
		if (t.type === 'operator' && expected.includes(t.content)) {
			this.swallow();
			return t.content;
		}
		throw new ParseError(`expected one of '${expected.join(' ')}'`);
	}

	/** After a list item: ',' (more follow), or `close` (the end); else "expected ',' or 'CLOSE'". */
	listContinues(close: string, site: string): boolean {
		const t = this.peek();
		if (isOp(t, ',')) {
			this.swallow();
			return true;
		}
		if (isOp(t, close)) {
			this.swallow();
			return false;
		}
		throw new ParseError(`expected ',' or '${close}'`).from(site);
	}

	expectKwToken(expected: string): Token {
		const t = this.next();
		if (!(t.type === 'keyword' && t.content === expected)) throw new ParseError(`expected '${expected}'`);
		return t;
	}

	expectTypes(t1: TokenType, t2: TokenType): string {
		const t = this.next();
		if (!(t.type === t1 || t.type === t2)) {
			throw new ParseError(`expected ${tokenTypeName(t1)} or ${tokenTypeName(t2)}`);
		}
		this.swallow();
		return t.content;
	}

	/** An integer literal, optionally negative, as stap's expect_number. */
	expectNumber(): bigint {
		let neg = false;
		let t = this.next();
		if (t.type === 'operator' && t.content === '-') {
			neg = true;
			this.swallow();
			t = this.next();
		}
		if (t.type !== 'number') throw new ParseError('expected number');
		const value = parseIntegerLiteral(t.content, neg, 'expect_number');
		this.swallow();
		return value;
	}

	// ------------------------------------------------------------ lists

	/** Start a list; returns its mark for listAdd/listClose. */
	listOpen(): number {
		return this.scratchTop;
	}

	listAdd(item: unknown): void {
		this.scratch[this.scratchTop++] = item;
	}

	listLength(mark: number): number {
		return this.scratchTop - mark;
	}

	/** The items added since `mark`, as an array of exactly their number. */
	listClose<T>(mark: number): T[] {
		const items = this.scratch.slice(mark, this.scratchTop) as T[];
		this.scratchTop = mark;
		return items;
	}

	// ------------------------------------------------------------ nesting

	/** Enter one level of statement/expression nesting; fails cleanly when too deep. */
	enter(): void {
		if (++this.depth > MAX_NESTING) {
			this.depth = 0; // let error recovery proceed
			throw new ParseError(`nesting too deep (more than ${MAX_NESTING} levels)`, this.peek());
		}
	}

	leave(): void {
		if (this.depth > 0) this.depth--;
	}

	// ------------------------------------------------------------ top level

	private reportError(pe: ParseError): void {
		this.diags.parseError(pe, this.lastT, this.inputName);
		this.numErrors++;
	}

	private asParseError(e: unknown): ParseError {
		if (e instanceof ParseError) return e;
		this.depth = 0;
		if (e instanceof RangeError) {
			// A backstop: recursion the nesting limit did not foresee.
			return new ParseError('nesting too deep (stack exhausted)', this.lastSeen);
		}
		// A bug of ours must still end as a located error, not a crash.
		return new ParseError(`internal error: ${e instanceof Error ? e.message : String(e)}`, this.lastSeen);
	}

	/** Parse a whole file; null (with errors reported) if it has errors or is empty. */
	parseFile(): StapFile | null {
		const f: StapFile = {
			file: this.lexer.file, probes: [], aliases: [], functions: [], globals: [], embeds: [],
			privileged: this.flags.privileged,
		};
		let empty = true;
		for (;;) {
			try {
				this.pp.systemtapVSeen = null;
				this.scratchTop = 0; // lists abandoned by an error
				const t = this.peek();
				if (t === null) break;
				empty = false;
				if (t.type === 'keyword' && t.content === 'probe') {
					this.context = 'probe';
					parseProbe(this, f);
				} else if (t.type === 'keyword' && t.content === 'private') {
					this.context = 'unknown';
					parsePrivate(this, f);
				} else if (t.type === 'keyword' && t.content === 'global') {
					this.context = 'global';
					parseGlobal(this, f);
				} else if (t.type === 'keyword' && t.content === 'function') {
					this.context = 'function';
					parseFunctionDecl(this, f);
				} else if (t.type === 'embedded') {
					this.context = 'embedded';
					f.embeds.push(parseEmbeddedCode(this));
				} else {
					this.context = 'unknown';
					throw new ParseError("expected 'probe', 'global', 'private', 'function', or '%{'");
				}
			} catch (e) {
				const pe = this.asParseError(e);
				this.depth = 0;
				this.reportError(pe);
				if (pe.skipSome) this.resync();
			}
		}
		if (empty && this.flags.userFile) {
			this.diags.plainError(this.lexer.sawTokens
				? `Input file '${this.inputName}' is empty after preprocessing.`
				: `Input file '${this.inputName}' is empty.`);
			return null;
		}
		if (this.numErrors > 0) {
			this.diags.plainError(`${this.numErrors} parse error${this.numErrors === 1 ? '' : 's'}.`);
			return null;
		}
		return f;
	}

	/** Quietly drop tokens up to the next one a file-level declaration can start with. */
	private resync(): void {
		for (;;) {
			try {
				const t = this.peek();
				if (t === null) return;
				if (t.type === 'keyword' && (t.content === 'probe' || t.content === 'private'
					|| t.content === 'global' || t.content === 'function')) return;
				if (t.type === 'embedded') return;
				this.swallow();
			} catch (e) {
				this.reportError(this.asParseError(e));
			}
		}
	}
}

const U64_MAX = 0xffffffffffffffffn;

/**
 * An integer literal as stap reads it: strtoull with base 0 (0x hex, leading-0
 * octal, decimal), values up to 2^64-1 wrapping to signed 64 bits, and a
 * preceding '-' allowed down to -2^63.
 */
export function parseIntegerLiteral(text: string, neg: boolean, site: string): bigint {
	// Fast path: short decimal literals, exact as doubles.
	if (text.length <= 15 && text.charCodeAt(0) !== 48 /* 0 */ && /^[0-9]+$/.test(text)) {
		const v = BigInt(Number(text));
		return neg ? -v : v;
	}
	let value: bigint;
	if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = BigInt(text);
	else if (/^0[0-7]*$/.test(text)) value = text.length > 1 ? BigInt('0o' + text.slice(1)) : 0n;
	else if (/^[1-9][0-9]*$/.test(text)) value = BigInt(text);
	else throw new ParseError('number invalid or out of range').from(site);
	if (value > U64_MAX || (neg && value > 0x8000000000000000n)) throw new ParseError('number invalid or out of range').from(site);
	value = BigInt.asIntN(64, value);
	return neg ? BigInt.asIntN(64, -value) : value;
}
