// sprintf() with a '*' width or precision in a kernel-side probe of the bpf
// runtime: bpf_snprintf takes constant formats only, so the directive's
// value is made and padded at run time (printing.ts starDirective(),
// tap_pad()); each line must be the user side's (stap's runtime, in C).
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const SCRIPT = `global seen
function t(side) {
	printf("%s [%s]\\n", side, sprintf("%*d|%-*d|%0*d|%*d|%.*s|%*s|%-*s|%*c|%*x", 5, 3, 5, 3, 5, -3, -5, 3, 2, "abcd", 4, "ab", 4, "ab", 3, 65, 6, 255))
	printf("%s [%s]\\n", side, sprintf("%#*o|%+*d|%*.*d|%.*d|%-*.*s|%0*x|%0*d", 5, 8, 4, 7, 6, 3, 42, 4, 9, 6, 2, "xyz", 6, 255, 8, -7))
	printf("%s [%s]\\n", side, sprintf("%.*d|%0*d|%.*s|%*s|%.*d|%0*d", 30, 5, 30, -5, -1, "abc", 0, "", -3, 12, -6, 4))
	printf("%s [%s]\\n", side, sprintf("%.23d|%030o|%030x|%-30d|%025d", 8, 8, 255, 7, -9))
	x = sprintf("%*d", 1000, 5); printf("%s %d [%s]\\n", side, strlen(x), substr(x, 505, 6))
	y = sprintf("%-*s|", 600, "ab"); printf("%s %d %s\\n", side, strlen(y), substr(y, 0, 3))
}
probe begin { t("user") }
probe kernel.trace("raw_syscalls:sys_enter") { if (pid() == target() && !seen++) t("kernel") }`;

const LINES = [
	'[    3|3    |-0003|3    |ab|  ab|ab  |  A|    ff]',
	'[  010|  +7|   042|0009|xy    |0000ff|-0000007]',
	`[${'0'.repeat(29)}5|-${'0'.repeat(28)}5|||12|4     ]`,
	`[${'0'.repeat(22)}8|${'0'.repeat(28)}10|${'0'.repeat(28)}ff|7${' '.repeat(29)}|-${'0'.repeat(23)}9]`,
	// the width is MAXSTRINGLEN's: the string is cut to 511 characters, the 5 with it
	'511 [      ]',
	'511 ab ',
];

test('\'*\' widths and precisions (negative ones, zeros past 22 digits, widths past MAXSTRINGLEN), and written zeros past 22 digits, in a kernel-side sprintf: the user side\'s strings', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', SCRIPT]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, ['user', 'kernel'].flatMap((side) => LINES.map((l) => `${side} ${l}`)).join('\n') + '\n');
});

test('a kernel-side function of several sprintfs keeps their argument arrays off the BPF stack', async (t) => {
	const calls = Array.from({ length: 8 }, (_, i) => `s = s . sprintf("%d%d%d%d%d%d%d%d%d%d%d%d", ${Array.from({ length: 12 }, (_, k) => (i + k) % 10).join(', ')})`).join('; ');
	const script = `global seen function f() { s = ""; ${calls}; return s }
probe kernel.trace("raw_syscalls:sys_enter") { if (pid() == target() && !seen++) println(strlen(f())) }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '96\n');
});
