// syscall.* argstr in stap's form, end to end: the generated syscall tapset
// elaborated, compiled and run by taprun while the test's own commands make
// the calls (a fresh directory, so the lines are exactly those commands').
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tapfleet } from '../parse/helpers.js';

test('openat, open (for openat), mkdir, close and read show stap\'s argstr; mode only with O_CREAT, in octal', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-argstr-'));
	const script = 'probe syscall.openat, syscall.open, syscall.mkdir, syscall.mkdirat, syscall.close, syscall.read {'
		+ ' if (execname() == "touch" || execname() == "mkdir" || execname() == "cat") printf("%s %s(%s)\\n", execname(), name, argstr) }';
	const r = await run(tapfleet, ['run', '-c', `touch ${dir}/f; mkdir -m 0750 ${dir}/d; cat ${dir}/f`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	const about = (s: string): string[] => lines.filter((l) => l.includes(`"${dir}/${s}"`));
	t.deepEqual(about('f').sort(), [
		`cat openat("${dir}/f", O_RDONLY)`,
		`cat openat(AT_FDCWD, "${dir}/f", O_RDONLY)`,
		`touch openat("${dir}/f", O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK, 0666)`,
		`touch openat(AT_FDCWD, "${dir}/f", O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK, 0666)`,
	]);
	t.true(about('d').includes(`mkdir mkdir("${dir}/d", 0750)`) || about('d').includes(`mkdir mkdirat(AT_FDCWD, "${dir}/d", 0750)`), about('d').join('\n'));
	t.regex(r.stdout, /^cat close\(3\)$/m);
	t.regex(r.stdout, /^cat read\(3, 0x[0-9a-f]+, \d+\)$/m);
});

/*
 * write's bytes, execve's argv and envp, and user memory that cannot be
 * read at sys_enter, as stap 4.8 prints them (user_buffer_quoted with
 * syscall_string_trunc = 50, __get_argv, user_string_quoted's address on a
 * fault). The calls are test/fixtures/argstr/argstr-probe.c's.
 */
test('write quotes its bytes, execve lists argv and envp, unreadable user memory shows its address: stap\'s argstr', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-argstr-'));
	const probe = join(dir, 'argstr-probe');
	execFileSync('cc', ['-O1', '-o', probe, fileURLToPath(new URL('../../../test/fixtures/argstr/argstr-probe.c', import.meta.url))]);
	const script = 'probe syscall.write, syscall.openat, syscall.execve {'
		+ ' if (execname() == "argstr-probe") printf("%s(%s)\\n", name, argstr) }';
	const r = await run(tapfleet, ['run', '-c', probe, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// the loader's openat and the program's first one may find their name's page absent: not asserted
	const lines = r.stdout.split('\n').filter((l) => l && !/^openat\(AT_FDCWD, (?:"\/|0x[0-9a-f]{5,})/.test(l));
	const cut = lines.findIndex((l) => /^write\(3, 0x[0-9a-f]+ffb, 10\)$/.test(l));
	t.true(cut >= 0, r.stdout);
	lines[cut] = 'write(3, 0x...ffb, 10)';
	t.deepEqual(lines, [
		'write(3, "hello\\n", 6)',
		'write(3, "a\\0b\\001\\177\\u00E9\\377\\"\\\\\\t", 11)',
		`write(3, "${'x'.repeat(45)}"..., 60)`,
		'write(3, 0x1000, 5)',
		'write(3, "tail!", 5)',
		'write(3, 0x...ffb, 10)',
		'openat(AT_FDCWD, 0x1000, O_RDONLY)',
		'openat(AT_FDCWD, 0x0, O_RDONLY)',
		'execve("/nonexistent/x", [0x1000], ["K=V"])',
		// the 600-byte variable: 506 characters and "... quoted, then everything cut at MAXSTRINGLEN - 1
		`execve(${`"/nonexistent/y", ["y"], ["${'v'.repeat(600)}`.slice(0, 511)})`,
		'execve("/bin/true", ["/bin/true", "one", "t\\two", "\\u00E9"], ["K=V"])',
	]);
});
