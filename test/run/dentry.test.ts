// The dentry tapset (controller/tapsets/dentry.stp) on the bpf runtime:
// the full paths of the files a process the test starts writes to, as it
// sees them, across mounts (/dev, /dev/shm, /tmp), relative to its working
// directory, a socket by stap's name for it, and the program it executes.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

test('fullpath_struct_file(), fullpath_struct_path() and d_name(): files on several mounts, a relative path, a socket ("socket:[INO]"), the executed program', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-dentry-'));
	const shm = `/dev/shm/tapfleet-dentry-${process.pid}`;
	// the file behind a written descriptor, from the task's own table
	const script = `probe syscall.write {
	if (pid() == target()) {
		file = kernel_long(@cast(task_current(), "task_struct", "kernel")->files->fdt->fd + 8 * fd)
		printf("%s|%s\\n", fullpath_struct_file(task_current(), file), d_name(@cast(file, "file", "kernel")->f_path->dentry))
	}
}
probe kernel.trace("sched:sched_process_exec") {
	if (pid() == target()) printf("exec %s\\n", fullpath_struct_path(&@cast($bprm->file, "file", "kernel")->f_path))
}`;
	// the shell itself writes (builtins), then becomes /bin/true
	const command = `echo a > ${dir}/out; echo b > /dev/null; echo c; echo d > ${shm}; cd ${dir} && echo e > rel; exec /bin/true`;
	const r = await run(tapfleet, ['run', '-c', command, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter((l) => l !== 'c' && l !== '');
	// /bin/sh is a link: the path is the program's own
	t.regex(lines[0]!, /^exec \/usr\/bin\/(dash|bash)$/);
	t.is(lines[1], `${dir}/out|out`);
	t.is(lines[2], '/dev/null|null');
	// the shell's stdout is the CLI's, which Node made a socket pair: sockfs's name, and the dentry's own
	t.regex(lines[3]!, /^socket:\[\d+\]\|UNIX-STREAM$/);
	t.is(lines[4], `${shm}|tapfleet-dentry-${process.pid}`);
	t.is(lines[5], `${dir}/rel|rel`);
	t.is(lines[6], 'exec /usr/bin/true');
	t.is(lines.length, 7, r.stdout);
});
