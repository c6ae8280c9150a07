// =~ patterns (controller/regex): the automaton agrees with GNU grep -E (a
// real POSIX ERE engine) on fixed cases and on random patterns and
// strings; the literal's C escapes are undone first; what is refused says
// what and where; the limits hold at their edge.
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { compileRegex, regexProblem } from '../../controller/regex/compile.js';
import { buildDfa, dfaMatches, REGEX_LIMITS } from '../../controller/regex/dfa.js';
import { MAX_REPEAT, parseRegex } from '../../controller/regex/parse.js';
import { literalBytes } from '../../controller/regex/pattern-bytes.js';

/** Which of `strings` (no newlines) `grep -E pattern` selects. */
function grepSelects(pattern: string, strings: readonly string[]): boolean[] {
	let out = '';
	try {
		out = execFileSync('grep', ['-naE', '-e', pattern], { input: Buffer.from(strings.join('\n') + '\n', 'latin1'), env: { ...process.env, LC_ALL: 'C' } }).toString();
	} catch (e) {
		out = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
	}
	const hit = new Set(out.split('\n').filter(Boolean).map((l) => Number(l.slice(0, l.indexOf(':'))) - 1));
	return strings.map((_, i) => hit.has(i));
}

function agreesWithGrep(pattern: string, strings: readonly string[]): string[] {
	const d = buildDfa(parseRegex(pattern));
	const grep = grepSelects(pattern, strings);
	return strings.flatMap((s, i) => (dfaMatches(d, s) === grep[i] ? [] : [`${JSON.stringify(pattern)} on ${JSON.stringify(s)}: grep says ${grep[i]}`]));
}

const SAMPLES = ['', 'a', 'b', 'ab', 'ba', 'abc', 'aab', 'abab', 'xyz', 'a.b', 'A1b2', '  x', 'foo-bar', '[]', 'a{2}', 'aaa', 'ca', 'bash', 'sh', 'dash', '1234', 'tab\there', 'x*y', 'end$', '^start'];

test('fixed patterns: anchors anywhere, alternation, groups, bounds, brackets, classes and escapes select what grep -E selects', (t) => {
	const patterns = [
		'^ab', 'b$', '^$', 'a|^b', 'a$|^b', '^(ba|da)?sh$', '(ab)+', 'a{2}', 'a{2,}', 'a{1,2}b', 'a{0}b', 'x*', '()', 'a||b',
		'[[:digit:]]+', '[[:alpha:]][[:digit:]]', '[^a-c]', '[]a]', '[a-]', '[.]', '\\.', 'a\\.b', '\\*', 'x\\*y', '\\$$', '\\^s',
		'[[:space:]]', '[[:upper:]]', '[[:punct:]]', '[[.-.]]', 'a.c', '.', '^.*$', '(a|b)*c', 'a{', '{', 'a{x}', 'fo+-?bar', '[a-c]{2,3}',
	];
	t.deepEqual(patterns.flatMap((p) => agreesWithGrep(p, SAMPLES)), []);
});

test('random patterns over a small alphabet: the automaton and grep -E agree on every string', (t) => {
	const atom = fc.oneof(fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '^', '$', '(a|b)', '(ab|)', 'a{1,2}'));
	const piece = fc.tuple(atom, fc.constantFrom('', '', '*', '+', '?', '{2}', '{0,1}')).map(([a, q]) => (a === '^' || a === '$' ? a : a + q));
	const pattern = fc.array(fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join('')), { minLength: 1, maxLength: 3 }).map((alts) => alts.join('|'));
	const strings = fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 6 }), { minLength: 8, maxLength: 16 });
	fc.assert(fc.property(pattern, strings, (p, s) => {
		const wrong = agreesWithGrep(p, s);
		if (wrong.length) t.log(wrong.join('\n'));
		return wrong.length === 0;
	}), { numRuns: 150 });
	t.pass();
});

test('a literal\'s C escapes are undone before the pattern is read: "\\\\." is an escaped dot, "\\t" a tab, "\\101" an A', (t) => {
	t.is(literalBytes('a\\\\.b'), 'a\\.b');
	t.is(literalBytes('\\t\\n\\101\\x41'), '\t\nAA');
	t.true(dfaMatches(compileRegex('a\\\\.b'), 'a.b'));
	t.false(dfaMatches(compileRegex('a\\\\.b'), 'axb'));
	t.true(dfaMatches(compileRegex('x\\ty'), 'x\ty'));
});

test('refused patterns say what is wrong and where; the limits hold at their edge', (t) => {
	t.is(regexProblem('(ab'), "unmatched '(' at offset 3 of the regular expression");
	t.is(regexProblem('ab)'), "unmatched ')' at offset 2 of the regular expression");
	t.is(regexProblem('[ab'), "unmatched '[' at offset 3 of the regular expression");
	t.is(regexProblem('*a'), "'*' with nothing to repeat at offset 0 of the regular expression");
	t.is(regexProblem('[z-a]'), 'the range z-a runs backwards at offset 2 of the regular expression');
	t.is(regexProblem('[[:nope:]]'), 'the unknown character class [:nope:] at offset 9 of the regular expression');
	t.is(regexProblem('\\\\d'), "the escape '\\d', which egrep's dialect does not define at offset 2 of the regular expression");
	t.is(regexProblem('a{3,2}'), 'the bound {3,2} counts down at offset 1 of the regular expression');
	t.is(regexProblem(`a{${MAX_REPEAT}}`), null);
	t.is(regexProblem(`a{${MAX_REPEAT + 1}}`), `a repeat count above ${MAX_REPEAT} at offset 1 of the regular expression`);
	// (a|b)*a(a|b){N}: 2**(N+1) subsets; N = 9 fits in 1024 states, N = 10 does not
	t.is(regexProblem('(a|b)*a(a|b){8}'), null);
	t.is(regexProblem('(a|b)*a(a|b){10}'), `the regular expression needs more than ${REGEX_LIMITS.maxDfaStates} automaton states`);
	t.true(dfaMatches(compileRegex('(a|b)*a(a|b){8}'), 'bbabbbbbbbb'));
});
