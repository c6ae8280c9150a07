// strtol() on both sides of the bpf runtime against the kernel's
// simple_strtoll() rules (strtol-cases.ts; the kmod runtime calls that
// function itself: test/kmod-e2e/tapset-functions.ts).
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';
import { strtolFunction, strtolLine } from './strtol-cases.js';

test('strtol() on the user side (begin) and the kernel side (a tracepoint) gives simple_strtoll()\'s value for every case', async (t) => {
	const script = `global seen
${strtolFunction('table')}
probe begin { table("user") }
probe kernel.trace("raw_syscalls:sys_enter") { if (pid() == target() && !seen++) table("kernel") }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `${strtolLine('user')}\n${strtolLine('kernel')}\n`);
});
