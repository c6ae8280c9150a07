// Many uprobes at once (process("PATH").function("a*"): bash has ~100
// such functions): from 8 on, taprun links them as uprobe_multi links
// (runtime-c/taprun/uprobe_multi.h), which detach in parallel, where
// perf-event uprobes detached one after the other (~100 ms each). The
// entries and returns are all seen, and the run ends; the verbose log
// says which way they were linked.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { run, tapfleet } from '../parse/helpers.js';
import { taprunPath } from '../../controller/build/toolchain.js';

const script = 'global calls, returns'
	+ ' probe process("/usr/bin/bash").function("a*") { if (pid() == target()) calls++ }'
	+ ' probe process("/usr/bin/bash").function("a*").return { if (pid() == target()) returns++ }'
	+ ' probe end { printf("%d %d\\n", calls > 0, calls == returns) }';

test('~200 uprobes and uretprobes of bash: every call and return seen, the session ends', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'bash -c true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1\n');
});

test('they are uprobe_multi links on this kernel (taprun -v); a module with few uprobes keeps perf-event uprobes', async (t) => {
	const many = await run(tapfleet, ['compile', '-p4', '-e', script]);
	t.is(many.status, 0, many.stderr);
	const v = spawnSync(taprunPath, ['-v', '-T', '1', many.stdout.trim()], { encoding: 'utf8' });
	t.is(v.status, 0, v.stderr);
	t.regex(v.stderr, /uprobes: \d+ uprobe_multi links/);
	const few = await run(tapfleet, ['compile', '-p4', '-e', 'probe process("/usr/bin/bash").function("main") { exit() }']);
	const v2 = spawnSync(taprunPath, ['-v', '-T', '1', few.stdout.trim()], { encoding: 'utf8' });
	t.notRegex(v2.stderr, /uprobe_multi/);
});

test('SDT markers with semaphores as uprobe_multi links: python3.11\'s 8 markers all fire (CPython runs them only while the kernel counts their semaphores up)', async (t) => {
	const py = '/usr/bin/python3.11';
	const r = await run(tapfleet, ['run', '-c', `${py} -c pass`, '-e',
		`global n probe process("${py}").mark("*") { if (pid() == target()) n[$$name]++ } probe end { foreach (k in n+) printf("%s\\n", k) }`]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('function__entry'), r.stdout);
	t.true(r.stdout.split('\n').includes('gc__start') || r.stdout.split('\n').includes('import__find__load__start'), r.stdout);
});
