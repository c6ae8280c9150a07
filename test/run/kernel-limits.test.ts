// What the kernel holds a bpf module to, on the kernel side: a probe's string
// temporaries live in one per-CPU map value (at most 32 KiB), and the
// verifier must see every program through. A long probe must still load (a
// statement's temporaries serve the statements after it); a refusal must
// name the probe and say why, without -v.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const PROBE = 'probe kernel.trace("raw_syscalls:sys_enter")';

test('a kernel-side probe of 100 statements with string temporaries loads and runs (they share their temporaries)', async (t) => {
	// 100 statements of two temporaries each: 200 strings of 512 bytes were 100 KiB, more than a map value holds
	const lines = Array.from({ length: 100 }, (_, i) => `s = substr(s . "${i % 10}", 0, 40);`);
	const script = `${PROBE} { if (pid() == target()) { s = ""; ${lines.join(' ')} println(s); exit() } }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '0123456789012345678901234567890123456789\n');
});

test('a string function that ends without return gives "" (and a long one 0), whatever its caller\'s temporary held before', async (t) => {
	const script = 'function f:string (x) { if (x) return "yes" } function g(x) { if (x) return 5 }'
		+ ` ${PROBE} { if (pid() == target()) { printf("%s%d\\n", f(1), g(1)); printf("[%s]%d\\n", f(0), g(0)); exit() } }`
		+ ' probe end { printf("%s%d\\n", f(1), g(1)); printf("[%s]%d\\n", f(0), g(0)) }';
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'yes5\n[]0\nyes5\n[]0\n');
});

test('more live string temporaries than a map value holds: the map, its size and what to do, not a bare errno', async (t) => {
	// one statement of 80 concatenations: all 80 results are alive at once
	const chain = Array.from({ length: 80 }, () => 'execname()').join(' . ');
	const script = `${PROBE} { if (pid() == target()) { println(strlen(${chain})); exit() } }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 1);
	t.regex(r.stderr, /^ERROR: the kernel refused map \w+: its value, \d+ bytes, is more than a per-CPU map holds \(32768\); fewer string temporaries in one probe or function, or a smaller MAXSTRINGLEN \(-D\), would fit$/m);
	// and with MAXSTRINGLEN 128 it fits: 80 of 128 bytes
	const small = await run(tapfleet, ['run', '-D', 'MAXSTRINGLEN=128', '-c', 'true', '-e', script]);
	t.is(small.status, 0, small.stderr);
	t.regex(small.stdout, /^\d+\n$/);
});

test('60 comparisons of computed strings in one kernel-side probe load (a bpf_loop() each), with strcmp\'s answers', async (t) => {
	const tests = Array.from({ length: 30 }, (_, i) => `if (t == s . "x${i}") n++; if (t < s) n--;`);
	const script = `${PROBE} { if (pid() == target()) { n = 0; s = "ab"; t = s . "x7"; ${tests.join(' ')}`
		+ ' u = substr(t, 0, 2); printf("%d %d %d %d %d\\n", n, t == u . "x7", u < t, t > u, u == s); exit() } }';
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1 1 1\n');
});

test('a program the verifier refuses: the probe\'s point and the verifier\'s own reason, without -v', async (t) => {
	// 40 comparisons with 300-character literals: the verifier follows each literal's bytes, every one
	const long = 'a'.repeat(300);
	const tests = Array.from({ length: 40 }, (_, i) => `if (s == "${long}${i}") n++;`);
	const script = `${PROBE} { if (pid() == target()) { n = 0; s = execname(); ${tests.join(' ')} println(n); exit() } }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 1);
	t.regex(r.stderr, /^ERROR: the kernel's BPF verifier refused probe kernel\.trace\("raw_syscalls:sys_enter"\): \S[^\n]* \(taprun -v shows its whole log\)$/m);
	t.notRegex(r.stderr, /^\d+: \(/m, 'no instruction listing');
});
