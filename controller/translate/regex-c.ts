// C for the automata of a module's =~ patterns (controller/regex/dfa.ts):
// per pattern a byte-class table, a transition table and the accepting
// states, in read-only data, and a matcher that walks them over the
// string's bytes, bounded by MAXSTRINGLEN as the BPF verifier needs. The
// same tables serve the bpf kernel side (a bpf_loop() step per byte, its
// state in a per-CPU map: runtime-c/bpf/tap_kernel.h), the bpf user side
// and kmod (a plain loop).
import type { Dfa } from '../regex/dfa.js';

const rows = (values: readonly number[], perLine: number): string[] => {
	const out: string[] = [];
	for (let i = 0; i < values.length; i += perLine) out.push(`\t${values.slice(i, i + perLine).join(', ')},`);
	return out;
};

/** The tables and the matcher `name(const char *s)` of one pattern; `attr` goes on every table (bpf: its section). */
export function regexDefinition(name: string, pattern: string, d: Dfa, attr: string): string[] {
	const states = d.next.length;
	const cell = d.dead > 255 ? 'unsigned short' : 'unsigned char';
	// the pattern in a comment: no "*/" may end it early
	const shown = JSON.stringify(pattern).replace(/\*\//g, '*\\/');
	return [
		`/* =~ ${shown}: ${states} states, ${d.classes} byte classes */`,
		`static const unsigned char ${name}_class[256] ${attr} = {`,
		...rows([...d.classOf], 32),
		'};',
		`static const ${cell} ${name}_next[${states || 1}][${d.classes}] ${attr} = {`,
		...(states ? d.next.map((r) => `\t{ ${r.join(', ')} },`) : ['\t{ 0 },']),
		'};',
		`static const unsigned char ${name}_accept[${states || 1}] ${attr} = {`,
		...(states ? rows(d.accept, 32) : ['\t0,']),
		'};',
		'#ifdef __bpf__',
		// the BPF verifier follows every round of a plain loop: one bpf_loop() step per byte instead
		`static __attribute__((unused)) long ${name}_step(__u64 i, void *data)`,
		'{',
		'\tstruct tap_re_walk *w = data;',
		'\tstruct tap_re_state *rs = bpf_map_lookup_elem(&tap_re_states, &tap_zero_key);',
		'\tunsigned int st, cl;',
		'\tunsigned char ch;',
		'',
		'\tif (!rs)',
		'\t\treturn 1;',
		'\tst = rs->st;',
		'\tasm volatile("" : "+r"(st));',
		`\tif (st >= ${states} || ${name}_accept[st] == 1) {`,
		`\t\trs->result = st < ${states};`,
		'\t\treturn 1;',
		'\t}',
		'\tch = w->s[i & (MAXSTRINGLEN - 1)];',
		'\tif (!ch) {',
		`\t\trs->result = ${name}_accept[st] != 0;`,
		'\t\treturn 1;',
		'\t}',
		`\tcl = ${name}_class[ch];`,
		'\t/* clang knows the table and would drop the check; the verifier needs it */',
		'\tasm volatile("" : "+r"(cl));',
		`\tif (cl >= ${d.classes}) {`,
		'\t\trs->result = 0;',
		'\t\treturn 1;',
		'\t}',
		`\trs->st = ${name}_next[st][cl];`,
		'\treturn 0;',
		'}',
		'',
		`static __always_inline __attribute__((unused)) tap_long ${name}(const char *s)`,
		'{',
		'\tstruct tap_re_walk w = { .s = s };',
		'\tstruct tap_re_state *rs = bpf_map_lookup_elem(&tap_re_states, &tap_zero_key);',
		'\tunsigned int st;',
		'',
		'\tif (!rs)',
		'\t\treturn 0;',
		`\trs->st = ${d.start};`,
		'\trs->result = -1;',
		`\tbpf_loop(MAXSTRINGLEN, ${name}_step, &w, 0);`,
		'\tif (rs->result >= 0)',
		'\t\treturn rs->result;',
		'\tst = rs->st;',
		'\tasm volatile("" : "+r"(st));',
		`\treturn st < ${states} && ${name}_accept[st] != 0;`,
		'}',
		'#else',
		`static inline __attribute__((unused)) tap_long ${name}(const char *s)`,
		'{',
		`\tunsigned int st = ${d.start}, i;`,
		'',
		'\tfor (i = 0; i < MAXSTRINGLEN; i++) {',
		`\t\tif (st >= ${states})`,
		'\t\t\treturn 0;	/* no match can follow */',
		`\t\tif (${name}_accept[st] == 1)`,
		'\t\t\treturn 1;',
		'\t\tif (!s[i])',
		`\t\t\treturn ${name}_accept[st] != 0;`,
		`\t\tst = ${name}_next[st][${name}_class[(unsigned char)s[i]]];`,
		'\t}',
		`\treturn st < ${states} && ${name}_accept[st] != 0;`,
		'}',
		'#endif',
		'',
	];
}
