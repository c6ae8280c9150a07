// `tapfleet compile -p1` on the command line: script arguments, -e/-E, stdin,
// target options, warnings and bad invocations, each checked against the real
// `stap -p1` where stap can run it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { comparableStderr } from './stap-compare.js';
import { run, tapfleet } from './helpers.js';

const STAP_ENV = { ...process.env, SYSTEMTAP_NOSIGN: '1' };

const CASES: string[][] = [
	['-e', 'probe begin { x = $1 + $2; y = @1 . @3; z = $# ; w = @# }', '5', '6', 'a"b\\c\x01'],
	['-e', 'probe $1 { }', 'kernel.function("x").return'],
	['-e', 'probe begin { x = $3 }', '1'],
	['-e', 'probe begin { x = $1 }', '$2', '9'],
	['-e', '@define count %( 1 %) probe begin { x = @count }'],
	['-g', '-e', 'probe begin { %{ x }% %} }'],
	['-e', 'probe begin { x = "unclosed }'],
	['-e', ''],
	['-e', '# nothing but a comment'],
	['-E', 'probe end {}', '-e', 'probe begin {}'],
	['--compatible', '1.8', '-e', 'probe begin { x = a ? b : c ? d : e; y = &$z }'],
	['-a', 'i386', '-e', '%( arch == "i?86" %? probe a {} %: probe b {} %)'],
	['--runtime', 'bpf', '-e', '%( runtime == "bpf" %? probe a {} %: probe b {} %)'],
	['--unprivileged', '-e', '%( systemtap_privilege == "stapusr" %? probe a {} %: probe b {} %)'],
	['-e', '%( CONFIG_SMP == "y" && CONFIG_NR_CPUS > 1 %? probe a {} %: probe b {} %)'],
	['-e', 'probe begin { x = "h\xe9llo \u2713" }'],
];

for (const args of CASES) {
	test(`compile -p1 ${JSON.stringify(args)} matches stap -p1`, async (t) => {
		const [stap, ours] = await Promise.all([
			run('stap', ['-p1', ...args], { env: STAP_ENV }),
			run(tapfleet, ['compile', '-p1', ...args]),
		]);
		t.is(ours.status, stap.status);
		t.is(ours.stdout, stap.stdout);
		t.is(comparableStderr(ours.stderr), comparableStderr(stap.stderr));
	});
}

test('a script on stdin is named <input>', (t) => {
	const input = 'probe begin { printf("%s\\n", "x") }';
	const stap = spawnSync('stap', ['-p1', '-'], { input, env: STAP_ENV, encoding: 'latin1' });
	const ours = spawnSync(tapfleet, ['compile', '-p1', '-'], { input, encoding: 'latin1' });
	t.is(ours.status, 0);
	t.is(ours.stdout, stap.stdout);
});

test('a missing script file: located message, exit 1, no stack trace', async (t) => {
	const r = await run(tapfleet, ['compile', '-p1', '/nonexistent/x.stp']);
	t.is(r.status, 1);
	t.regex(r.stderr, /^Input file '\/nonexistent\/x.stp' is missing.\n/);
	t.notRegex(r.stderr, /\n\s+at /);
});

test('no script at all: a usage message and exit 1', async (t) => {
	const r = await run(tapfleet, ['compile', '-p1']);
	t.is(r.status, 1);
	t.regex(r.stderr, /a script is needed/);
});
