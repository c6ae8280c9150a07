// kernel.trace target variables for the kmod runtime, through passes 2-3
// in process against this host's real profile (its tracepoints and BTF):
// TP_PROTO arguments and member chains resolved from the BTF ($next->pid),
// the event's fields read from its record ($next_pid), which probe gets
// which attach point, and the errors a script can meet. That the offsets
// are right is shown in the VM (test/kmod-e2e/probe-kinds.ts).
import test from 'ava';
import { TranslateError } from '../../controller/translate/module-context.js';
import { translateKmod } from '../../controller/translate/kmod/translate-kmod.js';
import { translate } from '../../controller/translate/translate.js';
import { elaborate, localProfile } from '../elaborate/helpers.js';

async function kmodC(script: string): Promise<string> {
	const e = elaborate(await localProfile(), script);
	if (!e.program) throw new Error(e.stderr);
	return translateKmod(e.program, { name: 'args' }).source;
}

async function pass2Error(script: string): Promise<string> {
	const e = elaborate(await localProfile(), script);
	return e.program ? '' : e.stderr;
}

test('sched_switch: $preempt, $next->pid and $next->comm from the tracepoint\'s arguments; a plain tracepoint', async (t) => {
	const c = await kmodC('probe kernel.trace("sched:sched_switch") { printf("%d %d %s\\n", $preempt, $next->pid, $next->comm) }');
	t.true(c.includes('.prog = "tracepoint/sched/sched_switch"'));
	// bool preempt: the low byte of argument 0
	t.regex(c, /= \(tap_long\)\(__u8\)\(unsigned long\)tap_tp_arg\(c, 0\);/);
	// pid_t pid: 4 signed bytes at one offset from argument 2; comm: a string (size 0)
	t.regex(c, /tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 2\), \(const long\[\]\)\{ \d+ \}, 1, &\w+, 4, 1, 0\)\)/);
	t.regex(c, /tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 2\), \(const long\[\]\)\{ \d+ \}, 1, l->tv\d+, 0, 0, 0\)\)/);
});

test('a chain through pointers loads between offsets: $p->real_parent->tgid; an event of a class (sched_wakeup) has its class\'s names', async (t) => {
	const c = await kmodC('probe kernel.trace("sched:sched_process_exec") { println($p->real_parent->tgid) }\nprobe kernel.trace("sched:sched_wakeup") { println($p->pid) }');
	t.regex(c, /tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 0\), \(const long\[\]\)\{ \d+, \d+ \}, 2, &\w+, 4, 1, 0\)\)/);
	t.true(c.includes('.prog = "tracepoint/sched/sched_wakeup"'));
});

test('a chain is read where it is used, so a guard protects it, and a fault goes to the catch block', async (t) => {
	const c = await kmodC('probe kernel.trace("sched:sched_switch") { if ($prev->mm) println($prev->mm->pgd); try { println($next->mm->pgd) } catch { println("fault") } }');
	// $prev->mm at the if's depth, $prev->mm->pgd inside it
	t.regex(c, /\n\t\tif \(tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 1\), \(const long\[\]\)\{ \d+ \}, 1, &(\w+), 8, 0, 0\)\)\n\t\t\tgoto out;\n\t\tif \(\1\) \{\n(?:\t\t\t.*\n)*?\t\t\tif \(tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 1\), \(const long\[\]\)\{ \d+, \d+ \}, 2, /);
	t.regex(c, /tap_kmod_member\(c, \(unsigned long\)tap_tp_arg\(c, 2\), [^\n]*\)\)\n\t+goto catch\d+;/);
});

test('fields: $next_pid, $prev_comm and a __data_loc $filename from the event\'s record (trace_event); a name that is both a field and an argument is the argument once the probe reads arguments', async (t) => {
	const c = await kmodC(`probe kernel.trace("sched:sched_switch") { printf("%d %s\\n", $next_pid, $prev_comm) }
probe kernel.trace("sched:sched_process_exec") { printf("%s %d\\n", $filename, $old_pid) }
probe kernel.trace("sched:sched_process_exec") { printf("%d %d\\n", $p->pid, $old_pid) }`);
	t.true(c.includes('.prog = "trace_event/sched/sched_switch"'));
	t.true(c.includes('.prog = "trace_event/sched/sched_process_exec", .run = probe_1'));
	t.true(c.includes('.prog = "tracepoint/sched/sched_process_exec", .run = probe_2'));
	t.regex(c, /tap_kernel_string\(l->tv\d+, \(char \*\)tap_tp_record\(c\) \+ \(\*\(__u32 \*\)\(\(char \*\)tap_tp_record\(c\) \+ \d+\) & 0xffff\)\);/);
	// pid_t old_pid, argument 1 of sched_process_exec, in probe 2
	t.regex(c.slice(c.indexOf('static int probe_2')), /= \(tap_long\)\(__s32\)\(unsigned long\)tap_tp_arg\(c, 1\);/);
});

test('errors: a member that does not exist, a struct without a member, a member of an array, a member of a bitfield, each located', async (t) => {
	const sw = (v: string) => `probe kernel.trace("sched:sched_switch") { println(${v}) }`;
	t.regex(await pass2Error(sw('$next->nosuch')), /struct task_struct has no member 'nosuch': operator '->' at <input>:1:57/);
	t.regex(await pass2Error(sw('$next->se')), /'\$next->se' is struct sched_entity: name a member of it: identifier '\$next' at <input>:1:52/);
	t.regex(await pass2Error(sw('$next->comm->x')), /'\$next->comm' \(char\[16\]\) is not a struct or union, or a pointer to one/);
	t.regex(await pass2Error(sw('$next->sched_reset_on_fork->x')), /'\$next->sched_reset_on_fork' is a bitfield: it has no members or elements/);
	t.regex(await pass2Error(sw('$nosuch->pid')), /unable to find tracepoint variable '\$nosuch'/);
});

test('one probe reading both the fields and the arguments is refused, by each runtime', async (t) => {
	const both = elaborate(await localProfile(), 'probe kernel.trace("sched:sched_switch") { println($next->pid + $next_pid) }');
	const mixed = t.throws(() => translateKmod(both.program!, { name: 'args' }));
	t.regex(mixed!.message, /a kmod probe reads either the fields of its trace event or the arguments of its tracepoint, not both \(\$next->pid and \$next_pid\)/);
	const bpf = t.throws(() => translate(both.program!, { name: 'args' }));
	t.true(bpf instanceof TranslateError);
	t.regex(bpf!.message, /a bpf probe reads either the fields of its trace event or the arguments of its tracepoint, not both \(\$next->pid and \$next_pid\)/);
});

test('bpf: a probe reading arguments is a raw tracepoint program, its arguments from the argument array', async (t) => {
	const e = elaborate(await localProfile(), 'probe kernel.trace("sched:sched_switch") { printf("%d %d %s\\n", $preempt, $next->pid, $next->comm) }');
	const c = translate(e.program!, { name: 'args' }).source;
	t.true(c.includes('TAP_KERNEL_PROBE(probe_0, "raw_tp/sched_switch", void *)'), c);
	t.regex(c, /= \(tap_long\)\(__u8\)\(\(struct bpf_raw_tracepoint_args \*\)ctx\)->args\[0\];/);
	t.regex(c, /tap_member_read\(\(__u64\)\(l->\w+\), \(const __s64\[\]\)\{ \d+ \}, 1, &l->\w+, 4, 1, &l->\w+\)/);
});
