// Bad and hostile input: random and mutated scripts never crash or hang the
// parser (each gives a tree or a located error); deep nesting gives a clear
// error, never a stack overflow; long flat chains still parse and print.
import test from 'ava';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dumpParseTree, hostTarget, runPass1 } from '../../controller/parse/index.js';
import { MAX_NESTING } from '../../controller/parse/parser.js';
import { conformanceDir } from './helpers.js';

const target = hostTarget();
const guruTarget = hostTarget({ guruMode: true });

/** Parse text as script "<input>": a dump, or the errors. Throws only if the parser itself does. */
function parse(text: string, guru = false, args: string[] = []): { dump: string | null; errors: string } {
	const r = runPass1({ target: guru ? guruTarget : target, args, scripts: [{ name: '<input>', text }] });
	return { dump: r.files ? dumpParseTree(r.files) : null, errors: r.session.diags.render() };
}

/** Every failure names a place: <input>:line:col, the end of <input>, or the empty input. */
function assertTreeOrLocatedError(text: string, guru: boolean, args: string[] = []): void {
	const r = parse(text, guru, args);
	if (r.dump !== null) return;
	if (!/(<input>:\d+:\d+|saw: <input> EOF|Input file '<input>' is empty)/.test(r.errors)) {
		throw new Error(`unlocated error for ${JSON.stringify(text.slice(0, 200))}:\n${r.errors}`);
	}
}

const corpus = ['ok', 'ko'].flatMap((d) => {
	const dir = path.join(conformanceDir, d);
	return readdirSync(dir).filter((f) => f.endsWith('.stp')).map((f) => readFileSync(path.join(dir, f), 'latin1'));
});

const PIECES = [
	'probe', 'begin', 'end', 'kernel', '.', 'function', '(', ')', '{', '}', '[', ']', ',', ';', 'global', 'private',
	'if', 'else', 'for', 'foreach', 'while', 'in', 'limit', 'return', 'delete', 'next', 'break', 'continue', 'try',
	'catch', '=', '+=', '<<<', '?', ':', '!', '*', '**', '+', '-', '++', '--', '->', '$var', '$$vars', '$1', '@1', '$#',
	'@#', '@define', '@x', '@cast', '@var', '@defined', '@entry', '@perf', '@const', '@count', '@hist_log', '@hist_linear',
	'%(', '%?', '%:', '%)', 'kernel_v', 'arch', 'CONFIG_X', '>=', '"2.6"', '"str\\n"', '"', '%{ c %}', '%{', '%}', '0x1f',
	'18446744073709551616', '9', 'x', 'a', 'printf', 'print', 'println', '"%d\\n"', '"%', '#', '//', '/*', '*/', '\n', ' ',
	'=~', '"re"', '.=', 'string', 'long', '\\', '\x01', '\xff', '`',
];

const randomScript = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join(' '));
const randomBytes = fc.string({ maxLength: 200 }).map((s) => Buffer.from(s, 'utf8').toString('latin1'));

/** A corpus file with a few random edits: deletions, duplications, insertions, truncation. */
const mutated = fc.tuple(
	fc.constantFrom(...corpus),
	fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom('delete', 'dup', 'insert', 'truncate'), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 5 }),
).map(([text, edits]) => {
	let s = text;
	for (const [at, len, op, piece] of edits) {
		const i = s.length ? at % s.length : 0;
		if (op === 'delete') s = s.slice(0, i) + s.slice(i + len);
		else if (op === 'dup') s = s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
		else if (op === 'insert') s = s.slice(0, i) + piece + s.slice(i);
		else s = s.slice(0, i);
	}
	return s;
});

test('random token soup: a tree or a located error, never a crash', (t) => {
	fc.assert(fc.property(randomScript, fc.boolean(), (s, guru) => assertTreeOrLocatedError(s, guru, ['1', 'a'])), { numRuns: 1000 });
	t.pass();
});

test('random bytes: a tree or a located error, never a crash', (t) => {
	fc.assert(fc.property(randomBytes, fc.boolean(), (s, guru) => assertTreeOrLocatedError(s, guru)), { numRuns: 1000 });
	t.pass();
});

test('mutated conformance scripts: a tree or a located error, never a crash', (t) => {
	t.true(corpus.length > 50);
	fc.assert(fc.property(mutated, fc.boolean(), (s, guru) => assertTreeOrLocatedError(s, guru)), { numRuns: 1000 });
	t.pass();
});

const DEEP = 100_000;

for (const [what, text] of [
	['parentheses', `probe begin { x = ${'('.repeat(DEEP)}1${')'.repeat(DEEP)} }`],
	['blocks', `probe begin ${'{'.repeat(DEEP)}${'}'.repeat(DEEP)}`],
	['unary operators', `probe begin { x = ${'!'.repeat(DEEP)}1 }`],
	['assignments', `probe begin { ${'x = '.repeat(DEEP)}1 }`],
	['ternaries', `probe begin { x = ${'a ? b : '.repeat(DEEP)}c }`],
	['else-if chains', `probe begin { ${'if (a) x = 1; else '.repeat(DEEP)}x = 2 }`],
	['function-call arguments', `probe begin { ${'f('.repeat(DEEP)}${')'.repeat(DEEP)} }`],
	['array indexes', `probe begin { ${'a['.repeat(DEEP)}1${']'.repeat(DEEP)} }`],
	['probe-point alternatives', `probe ${'{'.repeat(DEEP)}begin${'}'.repeat(DEEP)} {}`],
] as const) {
	test(`nesting ${DEEP} deep (${what}): a clear located error, no stack overflow`, (t) => {
		const r = parse(text);
		t.is(r.dump, null);
		t.regex(r.errors, /parse error: nesting too deep/);
		t.regex(r.errors, /<input>:1:\d+/);
	});
}

test('nesting just under the limit parses', (t) => {
	const depth = MAX_NESTING - 10;
	const r = parse(`probe begin { x = ${'('.repeat(depth)}1${')'.repeat(depth)} }`);
	t.not(r.dump, null, r.errors);
});

test('a recursive macro is a clear located error', (t) => {
	const r = parse('@define a %( @a %)\nprobe begin { @a }');
	t.is(r.dump, null);
	t.regex(r.errors, /macro expansion nested more than \d+ deep/);
	t.regex(r.errors, /<input>:\d+:\d+/);
});

test('long flat chains (100000 terms) parse and print without recursion trouble', (t) => {
	for (const op of ['+', '.', '||', '&', '<']) {
		const r = parse(`probe begin { x = 1${` ${op} 1`.repeat(DEEP)} }`);
		t.not(r.dump, null, `${op}: ${r.errors.slice(0, 200)}`);
	}
	const stmts = parse(`probe begin { ${'x = 1; '.repeat(DEEP)} }`);
	t.not(stmts.dump, null);
});
