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

/**
 * Every token is made here, so all have one shape (one hidden class for V8).
 * An object literal, not a class: before V8 optimises the lexer, `new` of a
 * class with fields costs a construct stub and each field twice (defined,
 * then assigned); a literal is one boilerplate copy (docs/parse.md, Speed).
 */
export function newToken(
	type: TokenType, content: string, file: SourceFile, line: number, column: number, chain: Token | null, junk: JunkKind | null,
): Token {
	return { type, content, file, line, column, chain, junk };
}

/** A copy of `t` attributed to a macro invocation (stap copies body tokens on expansion). */
export function withChain(t: Token, chain: Token): Token {
	return newToken(t.type, t.content, t.file, t.line, t.column, chain, t.junk);
}
