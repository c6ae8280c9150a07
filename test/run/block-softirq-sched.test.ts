// The tracepoint aliases of stap's tapsets for block I/O, softirqs and the
// scheduler's migrations and waits (controller/tapsets/block_trace.stp,
// softirq.stp, scheduler.stp), on the bpf runtime against activity each
// test starts itself.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

/** The kernel's name of the block device holding `dir` ("vda", "sda1"), from sysfs. */
function blockDeviceName(dir: string): string {
	const dev = statSync(dir).dev;
	// glibc's makedev: the major in bits 8-19 (and 32-43), the minor in bits 0-7 and 20-31
	const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
	const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
	const uevent = readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8');
	return /^DEVNAME=(.*)$/m.exec(uevent)![1]!;
}

test('ioblock_trace.request: each direct write of the target, with its device\'s name, operation and size; the io scheduler\'s insert, issue and completion', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-ioblock-'));
	const device = blockDeviceName(dir);
	const script = 'probe ioblock_trace.request { if (pid() == target()) printf("request %s %d %d %d %d\\n", devname, rw, size, bytes_done, ino) }'
		+ ' probe ioscheduler.elv_add_request, ioscheduler_trace.elv_issue_request, ioscheduler_trace.elv_completed_request { if (!seen[name]++) printf("%s %d\\n", name, disk_major >= 0) }'
		+ ' global seen';
	const r = await run(tapfleet, ['run', '-c', `dd if=/dev/zero of=${dir}/data bs=4k count=4 oflag=direct status=none`, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.trimEnd().split('\n');
	// four bios of one page written from dd's own (anonymous) buffer: no file's inode (stap's -1).
	// Where the page cache is cold, dd's own start reads its program and libraries (page-ins
	// in the target's name): reads of a file, with its inode
	const requests = lines.filter((l) => l.startsWith('request '));
	t.deepEqual(requests.filter((l) => !l.startsWith(`request ${device} 0 `)), Array(4).fill(`request ${device} 1 4096 4096 -1`), r.stdout);
	for (const read of requests.filter((l) => l.startsWith(`request ${device} 0 `))) t.regex(read, / [1-9]\d*$/, r.stdout);
	for (const n of ['elv_add_request', 'elv_issue_request', 'elv_completed_request']) t.true(lines.includes(`${n} 1`), r.stdout);
});

test('softirq.entry and softirq.exit: the vector\'s number, as the kernel numbers them', async (t) => {
	const script = 'probe softirq.entry { if (!n++) printf("entry %d %d %d\\n", vec == vec_nr, vec_nr < 10, h + action) }'
		+ ' probe softirq.exit { if (!x++) printf("exit %d %d\\n", vec == vec_nr, vec_nr < 10) } global n, x';
	const r = await run(tapfleet, ['run', '-c', 'sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// (the first of each, or a few: handlers on both CPUs may pass `!n++` at once, as stap's may)
	t.deepEqual([...new Set(r.stdout.trimEnd().split('\n'))].sort(), ['entry 1 1 0', 'exit 1 1']);
});

test('scheduler.migrate: the target moved to CPU 1 by its own taskset; scheduler.process_wait: its wait for its child', async (t) => {
	// taskset runs sh on CPU 0; sh moves itself to CPU 1, then waits for a child. A command of plain words
	// is executed directly (target() is taskset, then the sh it executes); `sh -c '...'` would be a child
	// of the shell that runs a quoted command line
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-migrate-'));
	writeFileSync(join(dir, 'move.sh'), 'taskset -p -c 1 $$ > /dev/null\nsleep 0 &\nwait\n');
	const command = `taskset -c 0 sh ${join(dir, 'move.sh')}`;
	const script = 'probe scheduler.migrate { if (pid == target() && cpu_to == 1 && !m++) printf("%s %d %d %d\\n", name, cpu_from, task == task_current(), priority - 100 == task_prio(task)) }'
		+ ' probe scheduler.process_wait { if (pid() == target() && !w++) printf("%s\\n", name) } global m, w';
	const r = await run(tapfleet, ['run', '-c', command, '-e', script]);
	rmSync(dir, { recursive: true });
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.trimEnd().split('\n');
	t.true(lines.includes('process_wait'), r.stdout);
	// from CPU 0 (the task may be moved while it sleeps, in its waker's context: then task is not current)
	t.true(lines.some((l) => /^migrate 0 [01] 1$/.test(l)), r.stdout);
});

test('the other aliases resolve with stap\'s variables: scheduler.kthread_stop(.return), scheduler.wait_task, ioscheduler_trace.plug/unplug_io, ioblock_trace.end', async (t) => {
	const r = await run(tapfleet, ['list', '-L', 'scheduler.kthread_stop', 'scheduler.kthread_stop.return', 'scheduler.wait_task', 'ioscheduler_trace.*plug*', 'ioblock_trace.end']);
	t.is(r.status, 0, r.stderr);
	const vars = new Map(r.stdout.trimEnd().split('\n').map((l) => [l.split(' ')[0]!, l]));
	t.regex(vars.get('scheduler.kthread_stop')!, / thread_pid:long thread_priority:long /);
	t.regex(vars.get('scheduler.kthread_stop.return')!, / return_value:long /);
	t.regex(vars.get('scheduler.wait_task')!, / task_pid:long task_priority:long /);
	t.regex(vars.get('ioscheduler_trace.plug')!, / rq_queue:long /);
	t.regex(vars.get('ioscheduler_trace.unplug_io')!, / rq_queue:long /);
	t.regex(vars.get('ioblock_trace.end')!, / error:long .*devname:string ino:long /);
});
