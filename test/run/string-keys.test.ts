// String columns of array keys: a column that only ever gets task names
// (execname() and its kin, short literals) is 16 bytes wide, so that its
// keys hash 16 bytes instead of MAP_STRING_LENGTH; looking a longer string
// up there finds nothing rather than a cut-down name. Any other key written
// there keeps the column MAP_STRING_LENGTH wide, with stap's truncation.
// (dash asks getppid() as it starts.)
import test from 'ava';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';


test('a column of task names is a tap_comm_key; a column written with any other string is not', async (t) => {
	const c = await run(tapfleet, ['compile', '-p3', '-e', 'global a, b probe syscall.getppid { a[execname(), pid()]++; b[execname()] = 1; b[argstr] = 2 }']);
	t.is(c.status, 0, c.stderr);
	t.regex(c.stdout, /struct g0_a_key \{\n\ttap_comm_key k0;\n\ttap_long k1;\n\};/);
	t.regex(c.stdout, /struct g1_b_key \{\n\ttap_key_string k0;\n\};/);
});

test('task-name keys: counted, found by the name, not found by a longer string that starts with it, deleted', async (t) => {
	// a shell named with 15 characters, a task name's most: a longer string cut to fit would find it
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-comm-'));
	const name = 'abcdefghijklmno';
	copyFileSync('/bin/sh', join(dir, name));
	chmodSync(join(dir, name), 0o755);
	const script = 'global c probe syscall.getppid { if (pid() == target()) c[execname()]++ }'
		+ ` probe end { longer = "${name}-and-more";`
		+ ` printf("%d %d %d %d %d\\n", c["${name}"], ["${name}"] in c, [longer] in c, c[longer], c["${name.slice(0, 14)}"]);`
		+ ` delete c[longer]; foreach (k in c) printf("%s\\n", k); delete c["${name}"]; printf("%d\\n", ["${name}"] in c) }`;
	const r = await run(tapfleet, ['run', '-c', `${join(dir, name)} -c true`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, new RegExp(`^[1-9]\\d* 1 0 0 0\\n${name}\\n0\\n$`));
});

test('a wide column keeps stap\'s truncation at MAP_STRING_LENGTH: a longer key and its first 63 bytes are one element', async (t) => {
	const long = 'x'.repeat(100);
	const script = `global c probe begin { c["${long}"] = 1; c[sprintf("%s", "${long}")] += 1; printf("%d %d\\n", c["${'x'.repeat(63)}"], ["${'x'.repeat(62)}"] in c) exit() }`;
	const r = await run(tapfleet, ['run', '-D', 'MAP_STRING_LENGTH=64', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '2 0\n');
});
