// The runtime-neutral C of runtime-c/common/ in isolation: stap's printf
// engine and statistics (aggregation, @avg/@variance, histogram layout),
// driven through a small C program (test/runtime-c/unit/tap_unit.c).
// Expected texts are SystemTap's: from its testsuite, as collected in the
// run conformance corpus (maps_linear, maps_linear_overunder, maps_log_edge,
// maps_hist_in_string, printf_flags_widths, printf_char2).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/modules/build-module.js';
import { writeSizes, writeSizesHistLog } from './helpers/expected.js';

const commonDir = join(repoRoot, 'runtime-c', 'common');
let unit = '';

test.before(() => {
	const dir = mkdtempSync(join(tmpdir(), 'tap-unit-'));
	unit = join(dir, 'tap_unit');
	const sources = readdirSync(commonDir).filter((f) => f.endsWith('.c')).map((f) => join(commonDir, f));
	execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-I', commonDir, join(repoRoot, 'test', 'runtime-c', 'unit', 'tap_unit.c'), ...sources, '-o', unit]);
});

function format(fmt: string, ...args: (number | bigint | string)[]): string {
	const argv = args.map((a) => (typeof a === 'string' ? `s:${a}` : `n:${a}`));
	return execFileSync(unit, ['format', fmt, ...argv], { encoding: 'latin1' });
}

function stat(kind: string, values: (number | bigint)[], cpus = 1): string {
	return execFileSync(unit, ['stat', kind, String(cpus)], { input: values.join('\n') + '\n', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

test('printf: widths, precisions and flags of %s %d %x %o %c (printf_flags_widths)', (t) => {
	t.is(format('[%5s][%-5s][%.2s][%5.1s][%-6.3s]\n', 'abc', 'abc', 'abc', 'abc', 'abcdef'), '[  abc][abc  ][ab][    a][abc   ]\n');
	t.is(format('[%5d][%-5d][%05d][%+d][% d][%+d][%.3d]\n', 42, 42, 42, 42, 42, -42, 7), '[   42][42   ][00042][+42][ 42][-42][007]\n');
	t.is(format('[%x][%#x][%#o][%X][%#X][%#06x]\n', 255, 255, 8, 255, 255, 255), '[ff][0xff][010][FF][0XFF][0x00ff]\n');
	t.is(format('[%*d][%-*d][%.*s]\n', 6, 7, 4, 7, 2, 'xyz'), '[     7][7   ][xy]\n');
	t.is(format('[%c][%3c][%-3c]\n', 65, 66, 67), '[A][  B][C  ]\n');
	t.is(format('[%i][%u][%d]\n', -5, -5, 0), '[-5][18446744073709551611][0]\n');
	t.is(format('%%d literal and 100%%\n'), '%d literal and 100%\n');
});

test('printf: 64-bit extremes, %p, %b raw bytes, unknown directives', (t) => {
	t.is(format('%d %d %u', -9223372036854775808n, 9223372036854775807n, -1), '-9223372036854775808 9223372036854775807 18446744073709551615');
	// stap's number() always writes the # prefix, even for 0 (unlike glibc)
	t.is(format('%p %#o %#x', 4096, 0, 0), '0x1000 00 0x0');
	t.is(format('%4b', 0x41424344), 'DCBA');
	t.is(format('%1b%2b', 65, 0x4242), 'ABB');
	t.is(format('%q %'), '%q %');
	t.is(format('%-*s|', -6, 'ab'), 'ab    |');
});

test('printf: %#c escapes as stap does (printf_char2)', (t) => {
	t.is(format('%#c%#c%#c%#c%#c', 10, 9, 39, 92, 7), "\\n\\t\\'\\\\\\a");
	t.is(format('%#c|%#3c|%c', 1, 65, 66), '\\001|  A|B');
});

test('sprintf truncates to MAXSTRINGLEN - 1 bytes', (t) => {
	const out = execFileSync(unit, ['sprintf', '%s%s', `s:${'x'.repeat(400)}`, `s:${'y'.repeat(400)}`], { encoding: 'utf8' });
	t.is(out.length, 511);
	t.is(out, 'x'.repeat(400) + 'y'.repeat(111));
});

// maps_linear / maps_linear_overunder: the same 1600 values.
const linearValues: number[] = [];
for (let key = 0; key < 100; key++) for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15]) linearValues.push(key * m);

test('statistics: @count @sum @min @max @avg @variance as stap computes them (maps_linear)', (t) => {
	const first = stat('linear:0,1500,50', linearValues).split('\n')[0];
	t.is(first, 'count=1600 sum=653400 min=0 max=1485 avg=408 variance=450768');
});

test('@hist_linear with an empty last row (maps_linear)', (t) => {
	const got = stat('linear:0,1500,50', linearValues).split('\n').slice(1).join('\n');
	t.is(
		got,
		[
			'value |-------------------------------------------------- count',
			'    0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@       177',
			'   50 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@         170',
			'  100 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                      117',
			'  150 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                     122',
			'  200 |@@@@@@@@@@@@@@@@@@@@@@@                             94',
			'  250 |@@@@@@@@@@@@@@@@@@@@@@@                             94',
			'  300 |@@@@@@@@@@@@@@@@@@@                                 79',
			'  350 |@@@@@@@@@@@@@@@@@@@                                 79',
			'  400 |@@@@@@@@@@@@@@@@                                    65',
			'  450 |@@@@@@@@@@@@@@@@                                    67',
			'  500 |@@@@@@@@@@@@@                                       55',
			'  550 |@@@@@@@@@@@@@                                       54',
			'  600 |@@@@@@@@@@@@                                        51',
			'  650 |@@@@@@@@@@@                                         45',
			'  700 |@@@@@@@@@@                                          41',
			'  750 |@@@@@@@@@@                                          40',
			'  800 |@@@@@@@@                                            34',
			'  850 |@@@@@@@@                                            33',
			'  900 |@@@@@@@                                             31',
			'  950 |@@@@@@                                              27',
			' 1000 |@@@@@                                               23',
			' 1050 |@@@@@@                                              24',
			' 1100 |@@@@                                                19',
			' 1150 |@@@@                                                18',
			' 1200 |@@@                                                 12',
			' 1250 |@@                                                   9',
			' 1300 |@                                                    7',
			' 1350 |@                                                    7',
			' 1400 |                                                     3',
			' 1450 |                                                     3',
			' 1500 |                                                     0',
			'',
			'',
		].join('\n'),
	);
});

test('@hist_linear underflow and overflow rows (maps_linear_overunder)', (t) => {
	const got = stat('linear:250,1000,50', linearValues).split('\n').slice(1).join('\n');
	t.is(
		got,
		[
			'value |-------------------------------------------------- count',
			' <250 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@   680',
			'  250 |@@@@@@                                              94',
			'  300 |@@@@@                                               79',
			'  350 |@@@@@                                               79',
			'  400 |@@@@                                                65',
			'  450 |@@@@                                                67',
			'  500 |@@@                                                 55',
			'  550 |@@@                                                 54',
			'  600 |@@@                                                 51',
			'  650 |@@@                                                 45',
			'  700 |@@                                                  41',
			'  750 |@@                                                  40',
			'  800 |@@                                                  34',
			'  850 |@@                                                  33',
			'  900 |@@                                                  31',
			'  950 |@                                                   27',
			' 1000 |@                                                   23',
			'>1000 |@@@@@@@                                            102',
			'',
			'',
		].join('\n'),
	);
});

test('@hist_log edges: negative, zero, the largest value (maps_log_edge)', (t) => {
	const hist = (values: (number | bigint)[]) => stat('log', values).split('\n').slice(1).join('\n');
	t.is(
		hist([-1, 1]),
		[
			'value |-------------------------------------------------- count',
			'   -4 |                                                   0',
			'   -2 |                                                   0',
			'   -1 |@                                                  1',
			'    0 |                                                   0',
			'    1 |@                                                  1',
			'    2 |                                                   0',
			'    4 |                                                   0',
			'',
			'',
		].join('\n'),
	);
	t.is(hist([0]), ['value |-------------------------------------------------- count', '    0 |@                                                  1', '    1 |                                                   0', '    2 |                                                   0', '', ''].join('\n'));
	t.is(
		hist([0x7fffffffffffffffn]),
		[
			'              value |-------------------------------------------------- count',
			'1152921504606846976 |                                                   0',
			'2305843009213693952 |                                                   0',
			'4611686018427387904 |@                                                  1',
			'',
			'',
		].join('\n'),
	);
});

test('@hist_log elides runs of empty rows with ~', (t) => {
	const got = stat('log', writeSizes).split('\n');
	t.is(got[0], 'count=10 sum=20683 min=1 max=4096 avg=2068 variance=4573571');
	t.is(got.slice(1).join('\n'), writeSizesHistLog);
});

test('a single-row @hist_linear(l, 0, 0, 1) scales 128 counts to 42 marks (maps_hist_in_string)', (t) => {
	const got = stat('linear:0,0,1', new Array(128).fill(0)).split('\n').slice(1).join('\n');
	t.is(got, 'value |-------------------------------------------------- count\n    0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@         128\n\n');
});

test('statistics spread over CPUs combine to the same totals and histogram', (t) => {
	const one = stat('linear:0,1500,50', linearValues, 1).split('\n');
	const four = stat('linear:0,1500,50', linearValues, 4).split('\n');
	t.is(four[0]!.replace(/ variance=\d+/, ''), one[0]!.replace(/ variance=\d+/, ''));
	t.deepEqual(four.slice(1), one.slice(1));
});

test('bad @hist_linear parameters give stap warnings', (t) => {
	const err = (kind: string) => {
		try {
			stat(kind, [1]);
			return '';
		} catch (e) {
			return String((e as { stderr: Buffer }).stderr);
		}
	};
	t.is(err('linear:0,10,0'), 'histogram: interval cannot be zero.\n');
	t.is(err('linear:0,1000,1'), 'histogram: Number of buckets must be between 1 and 126\nNumber_of_buckets = (stop - start) / interval.\nPlease adjust your start, stop, and interval values.\n');
});

/** Strings travel as hex: argv cannot carry arbitrary bytes from Node. */
function str(fn: string, ...args: (string | number)[]): string {
	const argv = args.map((a) => (typeof a === 'string' ? `hex:${Buffer.from(a, 'latin1').toString('hex')}` : String(a)));
	return execFileSync(unit, ['string', fn, ...argv], { encoding: 'latin1' });
}

test('text_str / text_strn escape, truncate and quote as stap does (string_text_str)', (t) => {
	const a = '1234567890';
	const b = a + a;
	const c = b + a;
	t.is(str('text_str', c), c);
	t.deepEqual([a, b, c].map((s) => str('text_strn', s, 10, 0)), ['1234567890', '1234567890', '1234567890']);
	t.deepEqual([a, b, c].map((s) => str('text_strn', s, 0, 1)), ['"1234567890"', '"12345678901234567890"', '"123456789012345678901234567890"']);
	t.deepEqual([a, b, c].map((s) => str('text_strn', s, 10, 1)), ['"12345"...', '"12345"...', '"12345"...']);
	t.deepEqual([a, b, c].map((s) => str('text_strn', s, 12, 1)), ['"1234567890"', '"1234567"...', '"1234567"...']);
	const x = '\n\nXYZZY\x19';
	const y = '\x3f\x99\x07\n\n\r\n';
	const xy = x + y;
	t.deepEqual([x, y, xy].map((s) => str('text_str', s)), ['\\n\\nXYZZY\\031', '?\\231\\a\\n\\n\\r\\n', '\\n\\nXYZZY\\031?\\231\\a\\n\\n\\r\\n']);
	t.deepEqual([x, y, xy].map((s) => str('text_strn', s, 10, 0)), ['\\n\\nXYZZY', '?\\231\\a\\n', '\\n\\nXYZZY']);
	t.deepEqual([x, y, xy].map((s) => str('text_strn', s, 12, 0)), ['\\n\\nXYZZY', '?\\231\\a\\n\\n', '\\n\\nXYZZY']);
	t.deepEqual([x, y, xy].map((s) => str('text_strn', s, 10, 1)), ['"\\n\\nX"...', '"?\\231"...', '"\\n\\nX"...']);
	t.deepEqual([x, y, xy].map((s) => str('text_strn', s, 15, 1)), ['"\\n\\nXYZZY\\031"', '"?\\231\\a\\n"...', '"\\n\\nXYZZY"...']);
});

test('string_quoted (string_quoted) and UTF-8 escapes', (t) => {
	t.is(str('string_quoted', ''), '""');
	t.is(str('string_quoted', 'hello world'), '"hello world"');
	t.is(str('string_quoted', 'hello\nworld'), '"hello\\nworld"');
	t.is(str('string_quoted', '"hello\nworld"'), '"\\"hello\\nworld\\""');
	t.is(Buffer.from(str('text_str', Buffer.from('é€😀', 'utf8').toString('latin1')), 'latin1').toString(), '\\u00E9\\u20AC\\U0001F600');
});

test('str_replace, substr, strpos, strtol, isdigit (string_str_replace, string_strpos, string_conversions)', (t) => {
	t.is(str('str_replace', 'hello system tap', 'system', 'pointer'), 'hello pointer tap');
	t.is(str('str_replace', 'hello system tap', 'hello', 'pointer'), 'pointer system tap');
	t.is(str('str_replace', 'Here I am, Here I go', 'Here', 'here'), 'here I am, here I go');
	t.is(str('str_replace', 'hello system tap', 'system', ''), 'hello  tap');
	t.is(str('str_replace', 'hello system tap', '', 'pointer'), 'hello system tap');
	t.is(str('str_replace', '', '', 'pointer'), '');
	t.is(str('str_replace', 'ab'.repeat(200), 'b', 'xyz').length, 511, 'truncated to MAXSTRINGLEN - 1');
	t.is(str('substr', 'hello', 1, 3), 'ell');
	t.is(str('substr', 'hello', 3, 100), 'lo');
	t.is(str('substr', 'hello', 5, 1), '');
	t.is(str('substr', 'hello', -1, 2), '');
	t.is(str('strpos', 'hello world', 'o w'), '4');
	t.is(str('strpos', 'hello', 'z'), '-1');
	t.is(str('strpos', '', ''), '0');
	t.is(str('strtol', '123', 10), '123');
	t.is(str('strtol', '-0x1f', 16), '-31');
	t.is(str('strtol', '0x1f', 0), '31');
	t.is(str('strtol', '017', 0), '15');
	t.is(str('strtol', '12abc', 10), '12');
	// the kernel's simple_strtoll(), as stap's: digits up to f, no blanks or '+'
	t.is(str('strtol', 'zz', 36), '0');
	t.is(str('strtol', 'fF', 36), '555');
	t.is(str('strtol', ' 12', 10), '0');
	t.is(str('strtol', '+5', 10), '0');
	t.is(str('strtol', '10', -1), '4294967295');
	t.is(str('strtol', '18446744073709551617', 10), '1');
	t.is(str('isdigit', '7up'), '1');
	t.is(str('isdigit', 'up7'), '0');
});

test('ctime: every date of its range as the C library gives it (UTC), in stap\'s form; the ends of the range', (t) => {
	// stap: "%.3s %.3s%3d %.2d:%.2d:%.2d %d"; Node's Date, in UTC, is the reference
	const reference = (secs: number) => {
		const d = new Date(secs * 1000);
		const p2 = (n: number) => String(n).padStart(2, '0');
		const day = 'SunMonTueWedThuFriSat'.slice(3 * d.getUTCDay(), 3 * d.getUTCDay() + 3);
		const mon = 'JanFebMarAprMayJunJulAugSepOctNovDec'.slice(3 * d.getUTCMonth(), 3 * d.getUTCMonth() + 3);
		return `${day} ${mon}${String(d.getUTCDate()).padStart(3)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
	};
	const values: number[] = [-2147483648, 2147483647, -1, 0, 1, 86399, 86400, 951782400, 951868800, 4102444799 - 2 ** 31];
	// a day and a bit at a time across the whole range: every weekday, month and leap rule
	for (let s = -2147483648; s <= 2147483647; s += 86399 * 11 + 17) values.push(s);
	const got = execFileSync(unit, ['ctime', ...values.map(String)], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n');
	const bad = values.filter((v, i) => got[i] !== reference(v));
	t.deepEqual(bad.slice(0, 5).map((v) => [v, got[values.indexOf(v)], reference(v)]), []);
	t.is(got[0], 'Fri Dec 13 20:45:52 1901');
	t.is(got[1], 'Tue Jan 19 03:14:07 2038');
	t.true(values.length > 2000);
});
