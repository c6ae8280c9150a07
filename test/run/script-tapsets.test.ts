// Tapsets written in the language (controller/tapsets): queue_stats
// (qs_wait/qs_run/qs_done and the qsq_* averages), on the user side and
// fed from kernel-side probes; the arrays behind @this1 ... @this8; the
// oneshot probe; pstrace().
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test('queue_stats: the averages of a queue driven in a begin probe and queried in a timer probe, qsq_print()\'s line; no request done yet is a division by 0', async (t) => {
	// queried a little later: the averages divide by the microseconds since qsq_start()
	const script = 'probe begin { qsq_start("q") qs_wait("q") qs_wait("q") qs_run("q") qs_done("q") qs_run("q") qs_done("q") }'
		+ ' probe timer.ms(20) { printf("%d %d %d\\n", qsq_utilization("q", 100) <= 100, qsq_blocked("q", 100) <= 100, qsq_throughput("q", 1000000) > 0) qsq_print("q")'
		+ ' qsq_start("q") println(qsq_service_time("q", 1)) }';
	const r = await run(tapfleet, ['run', '-e', script]);
	t.is(r.status, 1);
	t.regex(r.stdout, /^1 1 1\nq: \d+\.\d{3} ops\/s, \d+\.\d{3} qlen, \d+ await, \d+ svctm, \d+% wait, \d+% util\n$/);
	t.regex(r.stderr, /^ERROR: division by 0 near /m);
});

test('queue_stats fed by kernel-side probes: a 50 ms sleep served from entry to return', async (t) => {
	const script = 'probe begin { qsq_start("sleep") }'
		+ ' probe syscall.clock_nanosleep { if (pid() == target()) { qs_wait("sleep") qs_run("sleep") } }'
		+ ' probe syscall.clock_nanosleep.return { if (pid() == target()) qs_done("sleep") }'
		+ ' probe end { u = qsq_utilization("sleep", 100); printf("%d %d %d\\n", u > 0 && u <= 100, qsq_service_time("sleep", 1) >= 40000, qsq_wait_time("sleep", 1) >= qsq_service_time("sleep", 1)) }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.05', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1\n');
});

test('@this1 keeps a value per thread from a system call\'s entry to its return', async (t) => {
	const script = 'probe syscall.openat { if (pid() == target()) @this1 = filename }'
		+ ' probe syscall.openat.return { if (pid() == target() && @this1 == "\\"/etc/hostname\\"") { printf("%s %d\\n", @this1, retval > 0); exit() } }';
	const r = await run(tapfleet, ['run', '-c', 'cat /etc/hostname', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.includes('"/etc/hostname" 1\n'), r.stdout); // and cat's own line, in either order
});

test('probe oneshot runs its body once at the start, then the session ends (end probes run)', async (t) => {
	const r = await run(tapfleet, ['run', '-e', 'probe oneshot { println("once") } probe end { println("end") }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'once\nend\n');
});

test('pstrace(task): the chain of processes back to init\'s child, each " NAME(PID)"', async (t) => {
	const script = 'probe syscall.getppid { if (pid() == target()) { printf("[%s]\\n[ %s(%d) %s(%d)]\\n", pstrace(task_current()), execname(), pid(), pexecname(), ppid()) exit() } }';
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; os.getppid()"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const [chain, want] = r.stdout.split('\n');
	t.true(chain!.startsWith(want!.slice(0, -1)), r.stdout);
	t.regex(chain!, /^\[( [^\n]+?\(\d+\))+\]$/); // (task names may have spaces: "npm exec ava")
});

