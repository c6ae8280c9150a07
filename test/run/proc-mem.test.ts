// proc_mem.stp and pid2task() on the bpf runtime: the memory of a process the test
// starts, against the kernel's own /proc/PID/statm read while it sleeps;
// bytes_to_string() and pages_to_string() on both sides.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test('pid2task(), pid2execname(); proc_mem_size/rss/shr/txt/data() of a sleeping process, by pid too, as its /proc/PID/statm has them, proc_mem_string(); bytes_to_string() and pages_to_string() as stap formats sizes, on both sides', async (t) => {
	const sizes = 'bytes_to_string(1023), bytes_to_string(1536), bytes_to_string(15 * 1024 + 512), bytes_to_string(500 * 1024), bytes_to_string(3 << 30), pages_to_string(1)';
	const script = `global seen
probe syscall.clock_nanosleep, syscall.nanosleep {
	if (pid() == target() && !seen++) {
		printf("mem %d %d %d %d %d\\n", proc_mem_size(), proc_mem_rss(), proc_mem_shr(), proc_mem_txt(), proc_mem_data())
		printf("kernel: %s|%s|%s|%s|%s|%s\\n", ${sizes})
		printf("string %s\\n", proc_mem_string() == sprintf("size: %s, rss: %s, shr: %s, txt: %s, data: %s", pages_to_string(proc_mem_size()), pages_to_string(proc_mem_rss()),
			pages_to_string(proc_mem_shr()), pages_to_string(proc_mem_txt()), pages_to_string(proc_mem_data())) ? "same" : proc_mem_string())
		printf("by pid %d %d %d %s %d %d\\n", pid2task(pid()) == task_current(), proc_mem_size(pid()) == proc_mem_size(), proc_mem_txt_pid(pid()) == proc_mem_txt(),
			pid2execname(pid()), pid2task(0), pid2task(4194304) + proc_mem_size(4194304))
		system(sprintf("echo statm $(cat /proc/%d/statm)", pid()))
	}
}
probe begin { printf("user: %s|%s|%s|%s|%s|%s\\n", ${sizes}) }`;
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.5', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	const sized = ' 1023|1.50K|15.5K| 500K|3.00G|4.00K';
	t.true(lines.includes(`user: ${sized}`), r.stdout);
	t.true(lines.includes(`kernel: ${sized}`), r.stdout);
	t.true(lines.includes('string same'), r.stdout);
	// pid2task() of the process itself, of no pid, of a pid no process has
	t.true(lines.includes('by pid 1 1 1 sleep 0 0'), r.stdout);
	const mem = lines.find((l) => l.startsWith('mem '))!.split(' ').slice(1).map(Number);
	// statm: size resident shared text lib data dt (pages)
	const statm = lines.find((l) => l.startsWith('statm '))!.split(' ').slice(1).map(Number);
	const [size, rss, shr, txt, data] = mem as [number, number, number, number, number];
	t.is(size, statm[0], 'size');
	t.is(txt, statm[3], 'text');
	t.is(data, statm[5], 'data');
	// resident and shared come from per-CPU counters the kernel sums for statm, where the probe reads their
	// global count (as get_mm_counter()): the same pages, counted at most a batch per CPU behind
	t.true(rss > 0 && rss <= size && shr > 0 && shr <= rss, r.stdout);
});

test('pid2task() in a tracepoint probe that reads its arguments (SystemTap\'s proctop.stp: proc_mem_size(pid) in scheduler.ctxswitch): a BTF-typed tracepoint, since a raw one may not call the kfunc', async (t) => {
	const script = 'global n probe scheduler.ctxswitch { if (prev_pid == target() && !n++) printf("%d %d\\n", pid2task(prev_tid) == prev_task, proc_mem_size(prev_pid) > 0) }';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1\n');
	// the sections: a BTF-typed tracepoint where the module calls the kfunc, a raw one otherwise
	const c = await run(tapfleet, ['compile', '-p3', '-e', script]);
	t.regex(c.stdout, /TAP_KERNEL_PROBE\(probe_\d+, "tp_btf\/sched_switch"/);
	const plain = await run(tapfleet, ['compile', '-p3', '-e', 'probe scheduler.ctxswitch { println(prev_pid) }']);
	t.regex(plain.stdout, /TAP_KERNEL_PROBE\(probe_\d+, "raw_tp\/sched_switch"/);
});
