// int_arg(N) and its kin (tapsets/registers.stp) on the bpf runtime: the
// arguments of a probed user function (C calling convention) and of a
// system call (its own: the fourth in r10), widened as stap widens them;
// user_int8() ... user_uint64() behind a pointer argument; what cannot work
// is a located compile error.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, tapfleet } from '../parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-regargs-'));
const prog = join(dir, 'args');
execFileSync('gcc', ['-O2', '-g', '-Wall', '-Werror', '-o', prog, join(repoRoot, 'test/fixtures/regargs/args.c')]);

test('int_arg(1) ... of a process(...).function probe: each register, sign- and zero-extended as stap does', async (t) => {
	const script = `probe process("${prog}").function("probe_args") { if (pid() == target()) printf("%d %d %d %d %d %d %d %d %d\\n",`
		+ ' int_arg(1), s32_arg(1), uint_arg(2), u32_arg(2), int_arg(2), long_arg(3), longlong_arg(4), u64_arg(5), ulong_arg(6)) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	// the traced program's own line (1099511627776 + 4000000000 - 5 + 4 + 5 + 6, then 0xff) and the probe's
	t.is(r.stdout.split('\n').filter((l) => !l.startsWith('110351')).join('\n'), `-5 -5 4000000000 4000000000 ${4000000000 - 2 ** 32} 1099511627776 4 5 6\n`);
});

test('user_int8() ... user_uint64() read the bytes behind pointer_arg(1) at their widths', async (t) => {
	const script = `probe process("${prog}").function("probe_bytes") { p = pointer_arg(1); if (pid() == target()) printf("%d %d %d %d %d %d %d %d %d %d\\n",`
		+ ' user_int8(p), user_uint8(p), user_int16(p), user_uint16(p), user_ushort(p), user_int32(p), user_uint32(p), user_int64(p), user_uint64(p), user_ulong(p)) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	const word = BigInt.asIntN(64, 0x83828180fcfdfeffn);
	t.true(r.stdout.includes(`-1 255 -257 65279 65279 -50462977 4244504319 ${word} ${word} ${word}\n`), r.stdout);
});

test('int_arg() of a system call: nd_syscall and syscall probes, entry and return (the user registers still hold the arguments)', async (t) => {
	// kill(PID, 0) of itself; the fourth argument of a system call is r10, not rcx (the syscall
	// instruction overwrites rcx): its pread64 of 7 bytes at offset 12345 (ld.so's reads are of 784);
	// syscall.open's arguments are open(2)'s also where the C library calls openat (after its dirfd)
	const script = 'probe nd_syscall.kill { if (pid() == target()) printf("kill %d %d\\n", uint_arg(1) == target(), int_arg(2)) }'
		+ ' probe nd_syscall.kill.return { if (pid() == target()) printf("return %d %d\\n", int_arg(1) == target(), retval) }'
		+ ' probe nd_syscall.open { if (pid() == target() && user_string(pointer_arg(1), "") == "/etc/hostname") printf("open %s %d\\n", user_string(pointer_arg(1)), int_arg(2)) }'
		+ ' probe syscall.pread64 { if (pid() == target() && long_arg(3) == 7) printf("pread %d %d\\n", long_arg(3), long_arg(4)) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.split('\n').filter((l) => !l.startsWith('110351')).join('\n'), 'kill 1 0\nreturn 1 0\nopen /etc/hostname 0\npread 7 12345\n');
});

test('int_arg() where it cannot work is a located compile error', async (t) => {
	const cases: [string, RegExp][] = [
		['probe syscall.getpid { println(int_arg(7)) }', /^<input>:1:32: cannot access arg\(7\)/m],
		['probe syscall.getpid { n = 1; println(int_arg(n)) }', /^<input>:1:39: int_arg\(\): the argument number must be a literal \(1 to 6\)/m],
		['probe begin { println(pointer_arg(1)) }', /^<input>:1:23: cannot access function args in this context: pointer_arg\(\) needs a syscall, process\(\.\.\.\) or kprobe probe/m],
		['probe kernel.trace("sched:sched_switch") { println(int_arg(1)) }', /^<input>:1:52: cannot access function args in this context/m],
		['function f() { return int_arg(1) } probe syscall.getpid { println(f()) }', /^<input>:1:23: int_arg\(\) in a function: call it in the probe's handler/m],
	];
	for (const [script, want] of cases) {
		const r = await run(tapfleet, ['compile', '-p4', '-e', script]);
		t.is(r.status, 1, script);
		t.regex(r.stderr, want, script);
	}
});
