// Warnings as stapio prints them: each text once (a warn() in a busy probe
// is one line, not a flood), up to 1024 texts kept, then a note and no more
// elimination; and -w (stap -w), which prints none, the compiler's or the
// running script's, on every path a run takes (the embedded agent, taprun
// as a direct child with -c, `compile`).
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('WARNING'));

test('a warning is printed once: the same text again, from the user side or from kernel-side probes hit many times, is left out', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'exec python3 -c "import os\nfor i in range(50): os.getpid()"', '-e', `global n
probe begin { warn("same") warn("other") warn("same") }
probe syscall.getpid { if (pid() == target()) { n++; warn("kernel") warn(sprintf("odd %d", n % 2)) } }
probe end { warn("same"); printf("%d\\n", n) }`]);
	t.is(r.status, 0, r.stderr);
	t.true(Number(r.stdout) >= 50, r.stdout); // (and Python's own getpid() calls)
	t.deepEqual(warnings(r.stderr), ['WARNING: same', 'WARNING: other', 'WARNING: kernel', 'WARNING: odd 1', 'WARNING: odd 0']);
});

test('past 1024 different warnings: one note that the table is full, then every new text prints each time; those kept are still left out', async (t) => {
	const r = await run(tapfleet, ['run', '-D', 'MAXACTION=20000', '-e', `probe begin {
	for (i = 0; i < 1030; i++) warn(sprintf("w%d", i))
	warn("w0") warn("w1029") warn("w1023")
	exit()
}`]);
	t.is(r.status, 0, r.stderr);
	const expected = Array.from({ length: 1025 }, (_, i) => `WARNING: w${i}`);
	expected.push('WARNING deduplication table full');
	for (let i = 1025; i < 1030; i++) expected.push(`WARNING: w${i}`);
	expected.push('WARNING: w1029');
	t.deepEqual(warnings(r.stderr), expected);
});

const NOISY = 'probe begin { x = y; warn("from warn()"); printf("%d\\n", z); error("boom") }';

test('-w: no warnings from the compiler or the script, through the embedded agent and with -c (taprun a direct child); errors still print', async (t) => {
	for (const args of [['run', '-w', '-e', NOISY], ['run', '-w', '-c', 'true', '-e', NOISY]]) {
		const r = await run(tapfleet, args);
		t.is(r.status, 1, args.join(' '));
		t.is(r.stdout, '0\n');
		t.deepEqual(warnings(r.stderr), [], r.stderr);
		t.regex(r.stderr, /^ERROR: boom$/m);
	}
	// and without -w, all of them
	const loud = await run(tapfleet, ['run', '-c', 'true', '-e', NOISY]);
	t.is(warnings(loud.stderr).length, 5, loud.stderr);
});

test('compile -w: the same result without the warnings (their source lines too); an error still prints with its source', async (t) => {
	const script = 'probe begin { x = y; printf("%d\\n", z) }';
	const [loud, quiet] = await Promise.all([run(tapfleet, ['compile', '-p2', '-e', script]), run(tapfleet, ['compile', '-p2', '-w', '-e', script])]);
	t.is(loud.status, 0, loud.stderr);
	t.is(quiet.status, 0, quiet.stderr);
	t.is(quiet.stdout, loud.stdout);
	t.is(warnings(loud.stderr).length, 3);
	t.is(quiet.stderr, '');
	const bad = await run(tapfleet, ['compile', '-p2', '-w', '-e', 'probe begin { x = y; nosuch() }']);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /^semantic error: unresolved function nosuch.*\n +source: probe begin \{ x = y; nosuch\(\) \}\n +\^\n/m);
	t.false(bad.stderr.includes('WARNING'));
});
