// Source files and positions. Script text is held as a "binary" string (one
// char per byte, read as latin1) so that columns and character classes match
// stap's byte-oriented C lexer exactly.

export interface SourceFile {
	/** The name as given (stap prints it as given: relative paths stay relative). */
	readonly name: string;
	/** The original text, before any $1/@1 substitution (used to quote source lines). */
	readonly contents: string;
	/** True for text synthesised by the compiler rather than read from a file. */
	readonly synthetic: boolean;
}

export interface SourceLoc {
	readonly file: SourceFile;
	readonly line: number;
	readonly column: number;
}

export function formatLoc(loc: SourceLoc): string {
	return `${loc.file.name}:${loc.line}:${loc.column}`;
}

/**
 * The file as stap sees it: stap reads a script with getline(in, text, '\0'),
 * so a NUL byte ends it (the rest is never lexed, nor quoted in messages).
 */
export function upToNul(file: SourceFile): SourceFile {
	const nul = file.contents.indexOf('\0');
	return nul < 0 ? file : { ...file, contents: file.contents.slice(0, nul) };
}
