// run -s MIB (stap -s): the buffer between the kernel side and taprun. A
// burst of kernel-side output larger than a 1 MiB ring buffer loses events,
// reported as stap reports them; the default 16 MiB holds it whole. Both
// local paths: taprun as a direct child (-c) and the embedded agent
// (SessionOptions.kernel_buffer_mib through it); and -s's checks.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

// ~2.6 MB of records (each carries its 500-character string) from one
// kernel-side handler run, CPU 0's first profile tick: faster than taprun drains them
const BURST = `global done, s
probe begin { s = sprintf("%0500d", 7) }
probe timer.profile { if (cpu() == 0 && !done) { done = 1; for (i = 0; i < 5000; i++) printf("%s\\n", s); exit() } }`;
const lines = (stdout: string) => stdout.split('\n').filter((l) => l.length === 500).length;
const LOST = /^WARNING: Lost \d+ events \(ring buffer full; try -s\)$/m;

for (const [path, extra] of [['taprun a direct child (-c)', ['-c', 'sleep 5']], ['the embedded agent', []]] as const) {
	test(`-s 1 loses part of a 2.6 MB burst and says so; the default 16 MiB holds it whole: ${path}`, async (t) => {
		const small = await run(tapfleet, ['run', '-s', '1', '-D', 'MAXACTION=100000', ...extra, '-e', BURST]);
		t.is(small.status, 0, small.stderr);
		t.true(lines(small.stdout) < 5000, `${lines(small.stdout)} lines`);
		t.regex(small.stderr, LOST);
		const whole = await run(tapfleet, ['run', '-D', 'MAXACTION=100000', ...extra, '-e', BURST]);
		t.is(whole.status, 0, whole.stderr);
		t.is(lines(whole.stdout), 5000);
		t.notRegex(whole.stderr, LOST);
	});
}

test('-s takes a power of two from 1 to 1024', async (t) => {
	for (const bad of ['0', '3', '2048', 'x']) {
		const r = await run(tapfleet, ['run', '-s', bad, '-e', 'probe begin { exit() }']);
		t.is(r.status, 1, bad);
		t.regex(r.stderr, new RegExp(`-s "${bad}": expected a power of two from 1 to 1024 \\(MiB\\)`));
	}
});
