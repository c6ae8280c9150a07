// process("...").mark("...") on the bpf runtime, on this host: SDT markers
// of a program built here from Debian's sys/sdt.h (with and without a
// semaphore; arguments in registers, in memory and constant) and of
// Debian's own python3.11 and PostgreSQL 15 (the test suite's server),
// whose markers only fire while their semaphores are raised.
import test from 'ava';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pg } from '../../controller/audit/pg-load.js';
import { reachablePostgresUrl } from '../audit/helpers/backends.js';
import { run, tapfleet } from '../parse/helpers.js';
import { buildSdtDemo, sdtDemoExpected, sdtDemoScript } from './sdt-demo.js';

const demo = buildSdtDemo(mkdtempSync(join(tmpdir(), 'tapfleet-sdt-')));

// Serial: a tick probe of one test raises the semaphore in every process of the program, the other test's too.
test.serial('SDT markers: $arg1-4 from memory, registers and constants, $$name, $$provider, $$parms, pp(); the semaphore raised while attached, so the program prepares its arguments', async (t) => {
	const r = await run(tapfleet, ['run', '-c', `${demo} 3`, '-e', sdtDemoScript(demo)]);
	t.is(r.status, 0, r.stderr);
	// the program's own lines ("3 ticks", "raised 3 of 3") come first; exit() ended the session at the second plain marker
	const [own, marks] = [r.stdout.split('\n').filter((l) => /^(\d+ ticks|raised)/.test(l)), r.stdout.split('\n').filter((l) => !/^(\d+ ticks|raised)/.test(l)).join('\n')];
	t.deepEqual(own, ['3 ticks', 'raised 3 of 3'], r.stdout);
	t.is(marks, sdtDemoExpected(demo), r.stderr);
});

test.serial('SDT markers: without a probe on it the semaphore stays down', async (t) => {
	const r = await run(tapfleet, ['run', '-c', `${demo} 2`, '-e', `probe process("${demo}").mark("plain") { if ($arg1 == 100) exit() }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '2 ticks\nraised 0 of 2\n');
});

test('SDT markers of a real program: python3.11\'s function__return (DTrace spelling too), guarded by its semaphore', async (t) => {
	const py = '/usr/bin/python3.11';
	const code = 'def tapfleet_marked(i):\n    return i\nlist(map(tapfleet_marked, range(3)))\n';
	const script = `probe process("${py}").mark("function-return") { if (user_string($arg2) == "tapfleet_marked") printf("%s %s line %d\\n", $$provider, $$name, $arg3) }`;
	const r = await run(tapfleet, ['run', '-c', `${py} -c '${code}'`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'python function__return line 2\n'.repeat(3));
});

test('SDT markers: errors name the place: no such argument, a file without markers, no matching marker, an operand tapfleet cannot read', async (t) => {
	let r = await run(tapfleet, ['compile', '-p2', '-e', `probe process("${demo}").mark("plain") { print($arg3) }`]);
	t.is(r.status, 1);
	t.true(r.stderr.includes(`semantic error: unable to find marker argument '$arg3' (mark("plain") has 2: $arg1 $arg2): identifier '$arg3' at <input>:1:`), r.stderr);
	r = await run(tapfleet, ['compile', '-p2', '-e', 'probe process("/usr/bin/true").mark("x") { }']);
	t.is(r.status, 1);
	t.true(r.stderr.includes('\'/usr/bin/true\' has no SDT markers (no .note.stapsdt section)'), r.stderr);
	r = await run(tapfleet, ['compile', '-p2', '-e', `probe process("${demo}").mark("nosuch") { }`]);
	t.is(r.status, 1);
	t.true(r.stderr.includes('semantic error: while resolving probe point'), r.stderr);
	// PostgreSQL's checkpoint markers pass a global relative to %rip
	const pg = '/usr/lib/postgresql/15/bin/postgres';
	r = await run(tapfleet, ['compile', '-p3', '-e', `probe process("${pg}").mark("checkpoint__done") { print($arg1) }`]);
	t.is(r.status, 1);
	t.regex(r.stderr, /\$arg1 of process\("[^"]+postgres"\)\.provider\("postgresql"\)\.mark\("checkpoint__done"\) is a location relative to %rip \('\S+\(%rip\)'\), which tapfleet cannot read yet/);
});

test('SDT markers of a running server: PostgreSQL\'s query__start shows the query a client sends, its text read from the marker\'s argument', async (t) => {
	const url = await reachablePostgresUrl();
	const postgres = realpathSync('/usr/lib/postgresql/15/bin/postgres');
	const marker = `select 'tapfleet-${process.pid}' as marked`;
	const script = `probe process("${postgres}").mark("query__start") { q = user_string($arg1); if (isinstr(q, "tapfleet-${process.pid}")) { printf("%s: %s\\n", execname(), q); exit() } }`;
	const running = run(tapfleet, ['run', '-T', '60', '-e', script]);
	// queries until the probe has seen one (the first may come before it is attached)
	const client = new pg.Client(url);
	await client.connect();
	let done = false;
	void running.then(() => (done = true));
	for (let i = 0; i < 120 && !done; i++) {
		await client.query(marker);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	await client.end();
	const r = await running;
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `postgres: ${marker}\n`);
});

test('list finds the markers (stap -l/-L): every provider\'s, with their arguments', async (t) => {
	const r = await run(tapfleet, ['list', '-L', `process("${demo}").mark("*")`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `process("${demo}").provider("tapfleet_demo").mark("plain") $arg1:long $arg2:long\n`
		+ `process("${demo}").provider("tapfleet_demo").mark("tick") $arg1:long $arg2:long $arg3:long $arg4:long\n`);
});
