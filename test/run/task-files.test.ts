// task_files.stp on the bpf runtime: a process the test starts, with a
// working directory, a descriptor limit and an executable of its own, seen
// from its syscall; the wait status macros on the user side.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test('task_rlimit*(), task_cwd_path(), current_exe_file(), task_fd_lookup() (stap\'s error for a closed descriptor), task_max_file_handles(), task_start_time(); WIFEXITED(), WEXITSTATUS(), WTERMSIG()', async (t) => {
	const script = `global seen
probe syscall.clock_nanosleep, syscall.nanosleep {
	if (pid() == target() && !seen++) {
		t = task_current()
		printf("nofile %d %d %d %d\\n", task_rlimit_nofile(t), task_rlimit(t, "RLIMIT_NOFILE"), task_rlimit(t, "RLIMIT_BOGUS"), task_rlimit_stack(t))
		printf("cwd %s\\n", fullpath_struct_path(task_cwd_path(t)))
		printf("exe %s\\n", fullpath_struct_file(t, current_exe_file()))
		printf("fd0 %s\\n", fullpath_struct_file(t, task_fd_lookup(t, 0)))
		try { task_fd_lookup(t, 99) } catch (e) { printf("fd99: %s\\n", e) }
		printf("max %d, started %d\\n", task_max_file_handles(t) >= 64, task_start_time(t) > 0 && task_start_time(t) <= ktime_get_ns())
	}
}
probe begin { printf("wait %d %d %d %d\\n", WIFEXITED(0x0300), WEXITSTATUS(0x0300), WIFEXITED(9), WTERMSIG(9)) }`;
	// the shell sets its own limits and directory, then becomes sleep (the same task)
	const r = await run(tapfleet, ['run', '-c', 'cd /tmp && ulimit -n 1234 && ulimit -s 4096 && exec sleep 0.1', '-e', script]);
	t.is(r.status, 0, r.stderr);
	// ulimit -s counts KiB
	t.is(r.stdout, `wait 1 3 0 9\nnofile 1234 1234 -1 ${4096 * 1024}\ncwd /tmp\nexe /usr/bin/sleep\nfd0 /dev/null\nfd99: cannot find file in task\nmax 1, started 1\n`);
});
