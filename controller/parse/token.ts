// Tokens as stap's lexer produces them (parse.h: token, token_type).
import type { SourceFile, SourceLoc } from './source.js';

export type TokenType = 'junk' | 'identifier' | 'operator' | 'string' | 'number' | 'embedded' | 'keyword';

/** Why a junk token is junk; the diagnostic for it overrides the parser's message. */
export type JunkKind = 'unknown' | 'nested_arg' | 'invalid_arg' | 'unclosed_quote' | 'unclosed_embedded';

/** A token is also its own location (file, line, column): one object per token. */
export interface Token extends SourceLoc {
	readonly type: TokenType;
	/** Token text; for strings the unquoted body with stap's escape handling applied. */
	content: string;
	/** The macro invocation that produced this token (a copy of its '@name' token), if any. */
	readonly chain: Token | null;
	readonly junk: JunkKind | null;
}

const TYPE_NAMES: Record<TokenType, string> = {
	junk: 'junk',
	identifier: 'identifier',
	operator: 'operator',
	string: 'string',
	number: 'number',
	embedded: 'embedded-code',
	keyword: 'keyword',
};

export function tokenTypeName(t: TokenType): string {
	return TYPE_NAMES[t];
}

export function isOp(t: Token | null, content: string): boolean {
	return t !== null && t.type === 'operator' && t.content === content;
}

export function isKeyword(t: Token | null, content: string): boolean {
	return t !== null && t.type === 'keyword' && t.content === content;
}

/** Lines and columns below these fit together in one small integer (V8 Smi); larger ones go to WIDE_LOCATIONS. */
const LINE_LIMIT = 1 << 15;
const COLUMN_LIMIT = 1 << 16;
/** Locations beyond the packed range (a 70,000-column line): rare, so kept aside. */
const WIDE_LOCATIONS = new WeakMap<Token, { line: number; column: number }>();
/** Why each junk token is junk: only lexer errors make them, so they are kept aside too. */
const JUNK_KINDS = new WeakMap<Token, JunkKind>();

/**
 * The parser's tokens. Every AST node keeps its token, so the library's tree
 * holds ~250k of them, and copying them through V8's young generation is a
 * large part of a library parse (docs/parse.md, Speed). Hence five fields
 * (64 bytes) rather than seven: line and column are packed into one integer,
 * and the junk kind, which only error tokens have, lives in a side table.
 * Fields are declared, not initialised, so that `new` assigns each once.
 */
class PackedToken implements Token {
	declare readonly type: TokenType;
	declare content: string;
	declare readonly file: SourceFile;
	/** line * COLUMN_LIMIT + column, or -1 when WIDE_LOCATIONS holds them. */
	declare readonly loc: number;
	declare readonly chain: Token | null;

	constructor(type: TokenType, content: string, file: SourceFile, loc: number, chain: Token | null) {
		this.type = type;
		this.content = content;
		this.file = file;
		this.loc = loc;
		this.chain = chain;
	}

	get line(): number {
		const loc = this.loc;
		return loc >= 0 ? (loc / COLUMN_LIMIT) | 0 : WIDE_LOCATIONS.get(this)!.line;
	}

	get column(): number {
		const loc = this.loc;
		return loc >= 0 ? loc & (COLUMN_LIMIT - 1) : WIDE_LOCATIONS.get(this)!.column;
	}

	get junk(): JunkKind | null {
		return this.type === 'junk' ? JUNK_KINDS.get(this) ?? null : null;
	}
}

/** Every token is made here (or in withChain), so all have one shape (one hidden class for V8). */
export function newToken(
	type: TokenType, content: string, file: SourceFile, line: number, column: number, chain: Token | null, junk: JunkKind | null,
): Token {
	if (line < LINE_LIMIT && column < COLUMN_LIMIT && line >= 0 && column >= 0) {
		const t = new PackedToken(type, content, file, line * COLUMN_LIMIT + column, chain);
		if (junk !== null) JUNK_KINDS.set(t, junk);
		return t;
	}
	const t = new PackedToken(type, content, file, -1, chain);
	WIDE_LOCATIONS.set(t, { line, column });
	if (junk !== null) JUNK_KINDS.set(t, junk);
	return t;
}

/** A copy of `t` attributed to a macro invocation (stap copies body tokens on expansion). */
export function withChain(t: Token, chain: Token): Token {
	if (t instanceof PackedToken && t.loc >= 0 && t.type !== 'junk') {
		return new PackedToken(t.type, t.content, t.file, t.loc, chain);
	}
	return newToken(t.type, t.content, t.file, t.line, t.column, chain, t.junk);
}
