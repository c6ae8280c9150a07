// Loops on the bpf kernel side are bpf_loop() callbacks: what leaves from
// inside one must leave the function or the probe, not only the loop —
// `return` in a function's loop (a long or a string), `next` in a probe's
// loop — and a tracepoint argument's member chain read in a loop is read
// there.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test('return inside a loop returns from the function (a long, a string, through nested loops); next inside a loop leaves the probe', async (t) => {
	const script = 'function find(x) { i = 0; while (i < 100) { if (i * i >= x) return i; i++ } return -1 }'
		+ ' function name_of(n) { for (i = 0; i < 5; i++) { if (i == n) return sprintf("n%d", i) } return "none" }'
		+ ' function pair(x) { for (i = 0; i < 10; i++) for (j = 0; j < 10; j++) if (i * 10 + j == x) return i; return -1 }'
		+ ' global seen probe syscall.openat { if (pid() == target() && !seen++) {'
		+ ' printf("%d %d %s %s %d %d\\n", find(50), find(100000), name_of(3), name_of(9), pair(42), pair(420));'
		+ ' j = 0; while (j < 10) { j++; if (j == 3) next } println("not reached") } }';
	const r = await run(tapfleet, ['run', '-c', 'cat /dev/null', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '8 -1 n3 none 4 -1\n');
});

test('a tracepoint argument\'s member chain read inside a loop', async (t) => {
	const script = 'global done probe kernel.trace("sched:sched_process_exec") { if (pid() == target() && !done++) { n = 0; for (i = 0; i < 3; i++) n += $p->pid == tid(); printf("%d %s\\n", n, kernel_string($bprm->filename)) } }';
	const r = await run(tapfleet, ['run', '-c', 'uname', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('3 /usr/bin/uname'), r.stdout); // (uname prints too)
});
