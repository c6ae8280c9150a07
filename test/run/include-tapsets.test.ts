// -I DIR: the directory's tapsets are part of the library the script is
// resolved against (functions, probe aliases, globals whose file's probes
// then run too), as in stap; run on this kernel.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

function tapsetDir(files: Record<string, string>): string {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-include-'));
	for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
	return dir;
}

test('a -I directory\'s functions, probe aliases and globals (with their file\'s probes) resolve the script\'s names', async (t) => {
	const dir = tapsetDir({
		'answer.stp': 'function site_answer:long () { return 41 + 1 }\n',
		'alias.stp': 'probe site.hello = begin { greeting = "hello from an alias" }\n',
		'counter.stp': 'global site_limit\nprobe begin(-1) { site_limit = 7 }\n',
	});
	const r = await run(tapfleet, ['run', '-I', dir, '-e', 'probe site.hello { println(greeting) } probe begin { printf("%d %d\\n", site_answer(), site_limit) exit() }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'hello from an alias\n42 7\n');
});

test('without -I the same names are unresolved, with stap\'s message', async (t) => {
	const r = await run(tapfleet, ['run', '-e', 'probe begin { println(site_answer()) exit() }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /^semantic error: unresolved function site_answer/);
});

test('a -I tapset with errors is skipped with stap\'s warning; the rest of the directory still resolves', async (t) => {
	const dir = tapsetDir({ 'broken.stp': 'function oops( {\n', 'good.stp': 'function site_ok() { return 1 }\n' });
	const r = await run(tapfleet, ['run', '-I', dir, '-e', 'probe begin { println(site_ok()) exit() }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1\n');
	t.regex(r.stderr, /tapset ".*broken\.stp" has errors, and will be skipped/);
});
