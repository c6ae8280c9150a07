// -D NAME=VALUE (compile and run): a runtime limit that is not a number is
// refused by name before anything is built; one out of the runtime's range
// is the runtime's own refusal (its #error), said without the compiler's
// include chain; other names pass to the C compiler as they are.
import { readdirSync } from 'node:fs';
import { release } from 'node:os';
import test from 'ava';
import { compilerError } from '../../controller/build/toolchain.js';
import { MODULES_ROOT } from '../../controller/kernel-tree/locate.js';
import { run, tapfleet } from '../parse/helpers.js';

/** An installed Debian kernel tree other than this machine's own (linux-headers-amd64, as test/kmod/kbuild.test.ts). */
function kmodRelease(): string {
	const rel = readdirSync(MODULES_ROOT).find((r) => r !== release() && /-amd64$/.test(r));
	if (!rel) throw new Error(`no Debian kernel tree in ${MODULES_ROOT} (apt-get install linux-headers-amd64)`);
	return rel;
}

const SCRIPT = 'probe begin { println("ok") exit() }';
const NOT_A_NUMBER = /-D "MAXACTION=abc": MAXACTION is a limit of the runtime: expected a whole number \(decimal, or 0x hexadecimal\)\n/;

test('a limit that is not a whole number is refused by name at once: compile, run (embedded agent) and run -c', async (t) => {
	for (const args of [['compile', '-p4'], ['run'], ['run', '-c', 'true']]) {
		const r = await run(tapfleet, [...args, '-D', 'MAXACTION=abc', '-e', SCRIPT]);
		t.is(r.status, 1, args.join(' '));
		t.regex(r.stderr, NOT_A_NUMBER, args.join(' '));
		t.notRegex(r.stderr, /undeclared|failed:/, args.join(' '));
	}
	for (const bad of ['MAXMAPENTRIES=-5', 'MAXSTRINGLEN=1e3', 'MAXSKIPPED=', 'HIST_WIDTH=08']) {
		const r = await run(tapfleet, ['compile', '-p4', '-D', bad, '-e', SCRIPT]);
		t.is(r.status, 1, bad);
		t.regex(r.stderr, /is a limit of the runtime: expected a whole number/, bad);
	}
});

test('a limit out of the runtime\'s range is the runtime\'s refusal, without the include chain; bpf and kmod', async (t) => {
	const bpf = await run(tapfleet, ['compile', '-p4', '-D', 'MAXSTRINGLEN=8', '-e', SCRIPT]);
	t.is(bpf.status, 1);
	t.regex(bpf.stderr, /^the runtime refuses the limits given with -D: MAXSTRINGLEN must be between 16 and 4096; MAP_STRING_LENGTH must be between 16 and MAXSTRINGLEN$/m);
	t.notRegex(bpf.stderr, /In file included from/);
	const pow2 = await run(tapfleet, ['compile', '-p4', '-D', 'MAXSTRINGLEN=1000', '-e', SCRIPT]);
	t.is(pow2.status, 1);
	t.regex(pow2.stderr, /^the runtime refuses the limits given with -D: the bpf runtime needs MAXSTRINGLEN to be a power of two$/m);
	const kmod = await run(tapfleet, ['compile', '-p4', '--runtime', 'kmod', '-r', kmodRelease(), '-D', 'MAXSTRINGLEN=8', '-e', SCRIPT]);
	t.is(kmod.status, 1);
	t.regex(kmod.stderr, /^the runtime refuses the limits given with -D: MAXSTRINGLEN must be between 16 and 4096/m);
	t.notRegex(kmod.stderr, /In file included from/);
});

test('limits in hexadecimal and names that are not limits pass to the compiler', async (t) => {
	const r = await run(tapfleet, ['run', '-c', 'true', '-D', 'MAXACTION=0x400', '-D', 'MY_FLAG=some_value', '-D', 'OTHER', '-e', SCRIPT]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'ok\n');
});

test('only the runtime\'s refusals of limits become the message; its other #errors (its own mistakes) keep the compiler\'s whole output', (t) => {
	const limits = 'x.h:63:2: error: #error "MAXSTRINGLEN must be between 16 and 4096"\n   63 | #error "MAXSTRINGLEN must be between 16 and 4096"\n';
	t.is(compilerError('cc', limits).message, 'the runtime refuses the limits given with -D: MAXSTRINGLEN must be between 16 and 4096');
	const internal = 'tap.h:19:2: error: #error "tap_runtime.h must define TAP_SIDE_KERNEL and TAP_SIDE_USER"\n';
	t.is(compilerError('cc', internal).message, `cc failed:\n${internal}`);
	t.is(compilerError('kbuild', 'a.c:1:1: error: expected ;\n').message, 'kbuild failed:\na.c:1:1: error: expected ;\n');
});
