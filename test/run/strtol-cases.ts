// strtol(str, base) as stap's, which is the kernel's simple_strtoll(): what
// the kmod runtime calls and the bpf runtime's two sides must match. An
// optional '-', no blanks or '+'; base 0 finds 0x, 0 or decimal; base 16
// skips a 0x; digits go up to f whatever the base (an unsigned int); the
// value wraps at 64 bits.
export const STRTOL_CASES: readonly { s: string; base: number; want: string }[] = [
	{ s: '123', base: 10, want: '123' },
	{ s: '-0x1f', base: 16, want: '-31' },
	{ s: '0x1f', base: 0, want: '31' },
	{ s: '017', base: 0, want: '15' },
	{ s: '0xg', base: 0, want: '0' },
	{ s: '12abc', base: 10, want: '12' },
	{ s: '789', base: 8, want: '7' },
	{ s: '101', base: 2, want: '5' },
	{ s: 'zz', base: 36, want: '0' },
	{ s: 'fF', base: 36, want: '555' },
	{ s: ' 12', base: 10, want: '0' },
	{ s: '+5', base: 10, want: '0' },
	{ s: '0x', base: 16, want: '0' },
	{ s: '-', base: 10, want: '0' },
	{ s: '', base: 10, want: '0' },
	{ s: '10', base: -1, want: '4294967295' },
	{ s: '18446744073709551617', base: 10, want: '1' },
	{ s: '9223372036854775808', base: 10, want: '-9223372036854775808' },
];

/** A script function printing every case's strtol() on one line, after `label`. */
export function strtolFunction(name: string): string {
	const calls = STRTOL_CASES.map((c) => `printf(" %d", strtol(${JSON.stringify(c.s)}, ${c.base}))`).join('; ');
	return `function ${name}(label) { printf("%s", label); ${calls}; println("") }`;
}

/** The line strtolFunction's function prints. */
export function strtolLine(label: string): string {
	return `${label} ${STRTOL_CASES.map((c) => c.want).join(' ')}`;
}
