// Semantic errors and warnings in stap's form (session.cxx build_error_msg):
//   semantic error: MSG: identifier 'x' at FILE:LINE:COL
//           source: the source line
//                   ^
// with an optional second token ("type was first inferred here") and a chain.
import { describeToken, type Diagnostics, sourceExcerpt } from '../parse/diagnostics.js';
import type { Token } from '../parse/token.js';

const ALIGN = '        ';

export class SemanticError extends Error {
	chain: SemanticError | null = null;
	constructor(
		message: string,
		readonly tok: Token | null = null,
		readonly tok2: Token | null = null,
	) {
		super(message);
		this.name = 'SemanticError';
	}
}

/**
 * A member that exists but that tapfleet cannot read (a bitfield): an
 * error where the script reads it, and defined for @defined(), as stap
 * has it (so that `if (!@defined($p->bits))` takes the branch it should).
 */
export class UnreadableMemberError extends SemanticError {}

export function semanticErrorText(e: SemanticError): string {
	let text = `semantic error: ${e.message}`;
	if (e.tok) text += `: ${describeToken(e.tok)}\n` + sourceExcerpt(ALIGN, e.tok);
	else text += '\n';
	if (e.tok2) text += `${describeToken(e.tok2)}\n` + sourceExcerpt(ALIGN, e.tok2);
	return text + '\n';
}

/** Record a semantic error (and its chain) in the compilation's diagnostics, duplicates dropped as stap does. */
export function reportSemantic(diags: Diagnostics, e: SemanticError): void {
	let text = '';
	for (let c: SemanticError | null = e; c; c = c.chain) text += semanticErrorText(c);
	const key = 'semantic|' + text;
	if (diags.list.some((d) => d.severity === 'error' && d.text === text)) {
		diags.suppressedErrors++;
		return;
	}
	diags.list.push({ severity: 'error', message: key, tok: e.tok, text });
}

/** Levenshtein distance, bounded: names further than `max` apart return max + 1. */
export function editDistance(a: string, b: string, max: number): number {
	if (Math.abs(a.length - b.length) > max) return max + 1;
	let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
	for (let i = 1; i <= a.length; i++) {
		const cur = [i];
		let rowMin = i;
		for (let j = 1; j <= b.length; j++) {
			const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
			cur.push(v);
			rowMin = Math.min(rowMin, v);
		}
		if (rowMin > max) return max + 1;
		prev = cur;
	}
	return prev[b.length]!;
}

/** stap's "(similar: a, b, c)" suggestion list: up to five closest names within distance 5. */
export function similarNames(name: string, candidates: Iterable<string>): string[] {
	const scored: [number, string][] = [];
	const seen = new Set<string>();
	for (const c of candidates) {
		if (seen.has(c) || c === name) continue;
		seen.add(c);
		const d = editDistance(name, c, 5);
		if (d <= 5) scored.push([d, c]);
	}
	scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
	return scored.slice(0, 5).map((s) => s[1]);
}

export function withSimilar(message: string, similar: string[]): string {
	return similar.length ? `${message} (similar: ${similar.join(', ')})` : message;
}

/**
 * A probe point's named target (a kernel function, a tracepoint, a program's
 * function) that the target does not have, in stap's words: "no match
 * (similar functions: a, b)", the near names from what it does have.
 */
export function noMatchError(what: 'function' | 'tracepoint', name: string, candidates: Iterable<string>, tok: Token): SemanticError {
	const similar = similarNames(name, candidates);
	if (!similar.length) return new SemanticError('no match', tok);
	const kind = similar.length === 1 ? what : `${what}s`;
	return new SemanticError(`no match (similar ${kind}: ${similar.join(', ')})`, tok);
}
