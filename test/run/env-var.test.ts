// env_var() (controller/tapsets/env.stp) on the bpf runtime: the
// environment a process the test starts was given, read from its memory.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const script = `global seen
probe syscall.clock_nanosleep, syscall.nanosleep {
	if (pid() == target() && !seen++)
		printf("[%s] [%s] [%s] [%s] [%s]\\n", env_var("TAPFLEET_TEST_A"), env_var("TAPFLEET_TEST_B"), env_var("TAPFLEET_TEST_LONG"), env_var("NOPE"), env_var(""))
}`;

test('env_var(): a variable, an empty one, one longer than MAXSTRINGLEN (cut as every string) and the one after it, none of that name, no name', async (t) => {
	const long = 'y'.repeat(600);
	const r = await run(tapfleet, ['run', '-c', `env -i TAPFLEET_TEST_LONG=${long} TAPFLEET_TEST_A=apple TAPFLEET_TEST_B= /bin/sleep 0.1`, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// MAXSTRINGLEN 512 (stap's on 64-bit hosts): a string holds 511 bytes, the name and "=" 19 of them
	t.is(r.stdout, `[apple] [] [${long.slice(0, 511 - 'TAPFLEET_TEST_LONG='.length)}] [] []\n`);
});

test('env_var() in the environment the test runs in: the variable the command adds after it', async (t) => {
	// the walk costs ~10 statements a variable, and CI's environment may hold more than MAXACTION's 1000 allow
	const r = await run(tapfleet, ['run', '-D', 'MAXACTION=100000', '-c', 'env TAPFLEET_TEST_A=pear /bin/sleep 0.1', '-e',
		'global seen probe syscall.clock_nanosleep, syscall.nanosleep { if (pid() == target() && !seen++) printf("[%s]\\n", env_var("TAPFLEET_TEST_A")) }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '[pear]\n');
});
