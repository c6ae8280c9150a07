// syscall.* argstr in stap's form, end to end: the generated syscall tapset
// elaborated, compiled and run by taprun while the test's own commands make
// the calls (a fresh directory, so the lines are exactly those commands').
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';
import { ARGSTR_LINES, ARGSTR_SCRIPT, buildArgstrProbe, maskPageAddress } from './argstr-probe.js';

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
// The two tests below run at once, each with its own argstr-probe: each script
// looks at its own -c command only (pid() == target()), once it is argstr-probe.
test('write quotes its bytes, execve lists argv and envp, unreadable user memory shows its address: stap\'s argstr', async (t) => {
	const probe = buildArgstrProbe(mkdtempSync(join(tmpdir(), 'tapfleet-argstr-')));
	const r = await run(tapfleet, ['run', '-c', probe, '-e', ARGSTR_SCRIPT]);
	t.is(r.status, 0, r.stderr);
	// the dynamic loader's openat calls (O_CLOEXEC) are not the program's
	const lines = r.stdout.split('\n').filter((l) => l && !/^openat\(.*O_CLOEXEC\)$/.test(l));
	t.deepEqual(maskPageAddress(lines), ARGSTR_LINES);
});

test('user_buffer_quoted keeps stap\'s limits: room for the quotes, "..." only while input remains, no half escape, int arguments', async (t) => {
	const probe = buildArgstrProbe(mkdtempSync(join(tmpdir(), 'tapfleet-argstr-')));
	const calls = [
		'user_buffer_quoted(buf_uaddr, count, 5)', // room for 3: the cut leaves nothing but "..."
		'user_buffer_quoted(buf_uaddr, count, 0)', // nothing
		'user_buffer_quoted(buf_uaddr, 3, 50)', // what inlen allows, no "..."
		'user_buffer_quoted(buf_uaddr, 6, 8)', // the \n does not fit, and no input remains: no "..."
		'user_buffer_quoted(buf_uaddr, 0x100000003, 4294967346)', // ints: 3 and 50
	];
	const script = `probe syscall.write { if (pid() == target() && count == 6) printf("${calls.map(() => '[%s]').join('')}\\n", ${calls.join(', ')}) }`;
	const r = await run(tapfleet, ['run', '-c', probe, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '[""...][]["hel"]["hello"]["hel"]\n');
});
