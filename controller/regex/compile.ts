// A script's =~ pattern (its string literal's value) to its automaton,
// once per pattern per process: pass 2 checks it, pass 3 emits it.
import { buildDfa, type Dfa, RegexTooComplexError } from './dfa.js';
import { parseRegex, RegexSyntaxError } from './parse.js';
import { literalBytes } from './pattern-bytes.js';

const cache = new Map<string, Dfa | Error>();

/** The automaton of the literal `value`; throws an Error that says what is wrong with it. */
export function compileRegex(value: string): Dfa {
	let d = cache.get(value);
	if (d === undefined) {
		try {
			d = buildDfa(parseRegex(literalBytes(value)));
		} catch (e) {
			if (!(e instanceof RegexSyntaxError || e instanceof RegexTooComplexError)) throw e;
			d = e;
		}
		cache.set(value, d);
	}
	if (d instanceof Error) throw d;
	return d;
}

/** Why `value` is no pattern tapfleet compiles, or null. */
export function regexProblem(value: string): string | null {
	try {
		compileRegex(value);
		return null;
	} catch (e) {
		return (e as Error).message;
	}
}
