// `tapfleet compile -p1` on the command line: script arguments, -e/-E, stdin,
// target options, warnings and bad invocations, each checked against the real
// `stap -p1` where stap can run it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
	// A library file as the session script: refused (and still parsed, for its own messages).
	['-g', '/usr/share/systemtap/tapset/errno.stp'],
	['/usr/share/systemtap/tapset/errno.stp'],
	['/usr/share/systemtap/tapset/choose_defined.stpm'],
	// A directory: stap's ifstream opens it and reads nothing.
	['/usr/share/systemtap/examples'],
	// An empty file name: no script at all to stap, as -e ''; the -E scripts are not read then.
	[''],
	['', '-E', 'probe begin { x = }'],
	// --compatible with a version newer than the language's: refused, as stap refuses it
	['--compatible', '5.0', '-e', 'probe begin { }'],
	['--compatible', '4.9', '-e', 'probe begin { }'],
	['--compatible', 'abc', '-e', 'probe begin { }'],
	['--compatible', '4.8', '-e', 'probe begin { }'],
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

test('a library file reached through a symbolic link, or on standard input, is refused as stap refuses it', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-p1-'));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const link = join(dir, 'link.stp');
	symlinkSync('/usr/share/systemtap/tapset/errno.stp', link);
	const [stap, ours] = await Promise.all([run('stap', ['-p1', '-g', link], { env: STAP_ENV }), run(tapfleet, ['compile', '-p1', '-g', link])]);
	t.is(ours.status, 1);
	t.is(ours.status, stap.status);
	t.is(ours.stdout, '');
	t.is(comparableStderr(ours.stderr), comparableStderr(stap.stderr));
	t.regex(ours.stderr, /^usage error: tapset file '\/usr\/share\/systemtap\/tapset\/errno.stp' cannot be run directly as a session script.\n/);

	// Each its own descriptor: a shared one's offset is at the end once the first has read it.
	const fromStdin = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
		const fd = openSync('/usr/share/systemtap/tapset/errno.stp', 'r');
		try {
			return spawnSync(cmd, args, { stdio: [fd, 'pipe', 'pipe'], env, encoding: 'latin1' });
		} finally {
			closeSync(fd);
		}
	};
	const stapIn = fromStdin('stap', ['-p1', '-g', '-'], STAP_ENV);
	const oursIn = fromStdin(tapfleet, ['compile', '-p1', '-g', '-']);
	t.is(oursIn.status, 1);
	t.is(oursIn.status, stapIn.status);
	t.is(comparableStderr(oursIn.stderr), comparableStderr(stapIn.stderr));

	// A tapset directory of one's own (-I): its files are library files too.
	const mine = join(dir, 'mine.stp');
	writeFileSync(mine, 'function mine() { return 1 }\n');
	const [stapI, oursI] = await Promise.all([run('stap', ['-p1', '-I', dir, mine], { env: STAP_ENV }), run(tapfleet, ['compile', '-p1', '-I', dir, mine])]);
	t.is(oursI.status, 1);
	t.is(oursI.status, stapI.status);
	t.is(comparableStderr(oursI.stderr), comparableStderr(stapI.stderr));
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
