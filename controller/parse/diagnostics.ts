// Diagnostics in stap's exact form: "parse error: MSG", then "at:" (an error
// about a given token) or "saw:" (an "expected X" error about the token the
// parser was looking at), the source line and a caret, and the chain of macro
// expansions that produced the token.
import { formatLoc } from './source.js';
import { type Token, tokenTypeName } from './token.js';

/** A parse error as stap's parse_error: a message, an optional token, and whether to resync. */
export class ParseError extends Error {
	chain: ParseError | null = null;
	private explicitSite: string | null = null;
	constructor(
		message: string,
		readonly tok: Token | null = null,
		/** Skip tokens up to the next top-level keyword before resuming (stap's skip_some). */
		readonly skipSome = true,
	) {
		super(message);
		this.name = 'ParseError';
		Error.captureStackTrace(this, ParseError);
	}

	/**
	 * Name the stap throw site this error stands for, where one of our helpers
	 * serves several of stap's (stap reports only the first error per site).
	 */
	from(site: string): this {
		this.explicitSite = site;
		return this;
	}

	/** Where it was thrown: the explicit site, else the source position of the `new ParseError`. */
	get site(): string {
		if (this.explicitSite !== null) return this.explicitSite;
		const frame = (this.stack ?? '').split('\n').find((l) => l.startsWith('    at '));
		return frame ?? this.message;
	}

	/** stap's errsrc_chain: what duplicate elimination compares. */
	get siteChain(): string {
		return this.site + (this.chain ? '|' + this.chain.siteChain : '');
	}
}

/** One reported problem, with its location (null: at end of file). */
export interface Diagnostic {
	readonly severity: 'error' | 'warning';
	readonly message: string;
	readonly tok: Token | null;
	/** The complete text stap would print for it. */
	readonly text: string;
}

const JUNK_MESSAGES: Record<string, (argc: number) => string> = {
	nested_arg: () => 'invalid nested substitution of command line arguments',
	invalid_arg: (argc) => `command line argument out of range [1-${argc}]`,
	unclosed_quote: () => 'Could not find matching closing quote',
	unclosed_embedded: () => "Could not find matching '%}' to close embedded function block",
};

/** "identifier 'foo' at file:1:2", as stap's operator<< (token) prints it. */
export function describeToken(t: Token): string {
	let s = tokenTypeName(t.type);
	if (t.type !== 'embedded' && t.type !== 'keyword') {
		let content = '';
		for (let i = 0; i < t.content.length; i++) {
			const c = t.content.charCodeAt(i);
			content += c >= 32 && c <= 126 ? t.content[i] : '?';
		}
		s += ` '${content}'`;
	}
	return `${s} at ${formatLoc(t)}`;
}

/** The "source:" line and caret under it, then the macro expansions the token came from. */
export function sourceExcerpt(align: string, tok: Token): string {
	const text = tok.file.contents;
	let start = 0;
	for (let line = 1; line < tok.line; line++) {
		const nl = text.indexOf('\n', start);
		if (nl < 0) break;
		start = nl + 1;
	}
	let end = text.indexOf('\n', start);
	if (end < 0) end = text.length;
	let out = `${align}source: ${text.slice(start, end)}\n${align}        `;
	for (let i = start; i < start + tok.column - 1; i++) {
		const ch = text[i] ?? ' ';
		out += ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f' ? ch : ' ';
	}
	out += '^\n';
	if (tok.chain) {
		out += tok.file.synthetic ? '\tin synthesized code from: ' : '\tin expansion of macro: ';
		out += describeToken(tok.chain) + '\n' + sourceExcerpt(align, tok.chain);
	}
	return out;
}

/** Collects errors and warnings of one compilation, with stap's duplicate elimination. */
export class Diagnostics {
	readonly list: Diagnostic[] = [];
	private readonly seenErrors = new Set<string>();
	private readonly seenWarnings = new Set<string>();
	suppressedErrors = 0;

	constructor(
		/** Number of script arguments (quoted in "argument out of range" messages). */
		readonly argc = 0,
	) {}

	get errorCount(): number {
		return this.list.filter((d) => d.severity === 'error').length;
	}

	/**
	 * Report a parse error; `current` is the token the parser last looked at,
	 * used when the error names no token of its own.
	 */
	parseError(pe: ParseError, current: Token | null, inputName: string): void {
		const tok = pe.tok ?? current;
		// stap prints only the first error thrown from each place in its source.
		const key = pe.siteChain;
		if (this.seenErrors.has(key)) {
			this.suppressedErrors++;
			return;
		}
		this.seenErrors.add(key);
		let text = this.errorText(pe, tok, inputName);
		for (let e = pe.chain; e; e = e.chain) text += this.errorText(e, e.tok, inputName);
		this.list.push({ severity: 'error', message: pe.message, tok, text });
	}

	private errorText(pe: ParseError, tok: Token | null, inputName: string): string {
		const align = '     ';
		const junk = tok !== null && tok.type === 'junk' && tok.junk !== null && tok.junk !== 'unknown';
		const message = junk ? JUNK_MESSAGES[tok.junk!]!(this.argc) : pe.message;
		let text = `parse error: ${message}\n`;
		if (tok && (pe.tok || junk)) text += `${align}    at: ${describeToken(tok)}\n` + sourceExcerpt(align, tok);
		else if (tok) text += `${align}   saw: ${describeToken(tok)}\n` + sourceExcerpt(align, tok);
		else text += `${align}   saw: ${inputName} EOF\n`;
		return text + '\n';
	}

	/** A plain error message with no token (e.g. "Input file 'x' is empty."). */
	plainError(message: string): void {
		this.list.push({ severity: 'error', message, tok: null, text: message + '\n' });
	}

	warn(message: string, tok: Token | null): void {
		if (this.seenWarnings.has(message)) return;
		this.seenWarnings.add(message);
		let text = `WARNING: ${message}`;
		if (tok) text += `: ${describeToken(tok)}`;
		text += '\n';
		if (tok) text += sourceExcerpt(' ', tok);
		this.list.push({ severity: 'warning', message, tok, text });
	}

	/** stap's closing note about errors it did not repeat, or ''. */
	suppressionNote(): string {
		return this.suppressedErrors > 0
			? `Number of similar error messages suppressed: ${this.suppressedErrors}.\nRerun with -v to see them.\n`
			: '';
	}

	/** Everything reported, in order, as stap writes it to stderr. */
	render(): string {
		return this.list.map((d) => d.text).join('');
	}
}

/**
 * A compile's stderr without its warnings, as stap -w prints it: each
 * "WARNING: " line goes with the source excerpt under it (its lines start
 * with a blank, as every excerpt's do); errors and notes stay.
 */
export function withoutWarnings(stderr: string): string {
	const kept: string[] = [];
	let inWarning = false;
	for (const line of stderr.split('\n')) {
		if (line.startsWith('WARNING: ')) inWarning = true;
		else if (!line.startsWith(' ')) inWarning = false;
		if (!inWarning) kept.push(line);
	}
	return kept.join('\n');
}
