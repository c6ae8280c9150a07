// Guru-mode writes of target variables through passes 2-3, in process
// against this host's real profile (its BTF and syscall tracepoints; kprobes
// granted as a kmod target has them): stap's refusals in its words, the
// registers and memory the kmod runtime writes, and the bpf runtime's
// refusal. That the writes change what the kernel and its processes see is
// shown in the VM (test/kmod-e2e/guru-mode.ts).
import test from 'ava';
import { translateKmod } from '../../controller/translate/kmod/translate-kmod.js';
import { translate } from '../../controller/translate/translate.js';
import { elaborate, localProfile, withKprobes } from '../elaborate/helpers.js';

async function pass2(script: string, guru = true) {
	return elaborate(withKprobes(await localProfile(), ['do_group_exit', 'cp_new_stat', 'vfs_read']), script, { guru });
}

async function kmodC(script: string): Promise<string> {
	const e = await pass2(script);
	if (!e.program) throw new Error(e.stderr);
	return translateKmod(e.program, { name: 'writes' }).source;
}

test('without -g a write is stap\'s "need stap -g", located at the variable', async (t) => {
	const r = await pass2('probe kernel.function("do_group_exit") { $exit_code = 1 }', false);
	t.is(r.program, null);
	t.regex(r.stderr, /^semantic error: write to target variable not permitted; need stap -g: identifier '\$exit_code' at <input>:1:42\n/);
	t.regex((await pass2('probe syscall.getppid.return { $return++ }', false)).stderr, /need stap -g: identifier '\$return'/);
});

test('a parameter in a return probe (its value saved at entry) cannot be written; a string target variable cannot be written', async (t) => {
	t.regex((await pass2('probe kernel.function("vfs_read").return { $count = 1 }')).stderr,
		/^semantic error: write to target variable not permitted in .return probes: identifier '\$count' at <input>:1:44\n/);
	t.regex((await pass2('probe kernel.trace("sched:sched_switch") { $prev_comm = "x" }')).stderr, /\$prev_comm/);
});

test('kmod: a module that writes a target variable says so in its manifest (guru), which an agent loads only for a caller with that right; one that only reads does not', async (t) => {
	const writes = await pass2('probe kernel.function("do_group_exit") { $exit_code = 0 }');
	t.true(translateKmod(writes.program!, { name: 'writes' }).guru);
	const reads = await pass2('probe kernel.function("do_group_exit") { println($exit_code) }');
	t.false(translateKmod(reads.program!, { name: 'reads' }).guru);
});

test('kmod: a parameter at entry is its argument register; $return of a return probe its return register; later reads see the value written', async (t) => {
	const c = await kmodC('probe kernel.function("do_group_exit") { $exit_code = 7 << 8; println($exit_code) }\n'
		+ 'probe kernel.function("vfs_read").return { $return += 1 }');
	// int exit_code: the first argument register, and the handler's copy as an int
	t.regex(c, /(t\d+) = \(\(tap_long\)\(\(__u64\)\(7LL\) << \(\(8LL\) & 63\)\)\);\n\t+tap_kmod_set_argument\(tap_regs\(c\), 0, \(unsigned long\)\1\);\n\t+(t\d+) = \(tap_long\)\(__s32\)\1;/);
	t.regex(c, /(t\d+) = \(\(tap_long\)\(\(__u64\)\(t\d+\) \+ \(__u64\)\(1LL\)\)\);\n\t+regs_set_return_value\(tap_regs\(c\), \(unsigned long\)\1\);/);
});

test('kmod: a system call\'s argument and return value are written in the pt_regs its tracepoints get; ++ and compound operators', async (t) => {
	const c = await kmodC('probe syscall.ioctl { $cmd++ }\nprobe syscall.getppid.return { $return = 4242 }\nprobe syscall.kill { $sig *= 0 }');
	// ioctl's cmd is its second argument (si); kill's sig too
	t.regex(c, /\(\(struct pt_regs \*\)tap_tp_arg\(c, 0\)\)->si = \(unsigned long\)t\d+;/);
	t.true(c.includes('((struct pt_regs *)tap_tp_arg(c, 0))->ax = (unsigned long)4242LL;'));
	t.is(c.match(/tap_tp_arg\(c, 0\)\)->si = /g)?.length, 2);
});

test('kmod: a member of a kernel structure is written fault-safe at its address (through the pointers of its chain)', async (t) => {
	const c = await kmodC('probe kernel.function("cp_new_stat") { $stat->size = 12345 }\n'
		+ 'probe kernel.trace("sched:sched_switch") { $next->mm->map_count = 1 }');
	t.regex(c, /if \(tap_kmod_member_write\(c, regs_get_kernel_argument\(tap_regs\(c\), 0\) \+ \d+, 12345LL, 8\)\)\n\t+goto out;/);
	// the mm pointer loaded first, then the int written at its offset
	t.regex(c, /if \(tap_kmod_member\(c, \(unsigned long\)\(\(unsigned long\)tap_tp_arg\(c, 2\)\), \(const long\[\]\)\{ \d+ \}, 1, &(t\d+), 8, 0, 0\)\)\n\t+goto out;\n\t+if \(tap_kmod_member_write\(c, \(unsigned long\)\1 \+ \d+, 1LL, 4\)\)/);
	t.true(c.includes('"kernel write fault at 0x%lx [man error::fault]"'));
});

test('kmod: what no register or memory holds is refused at pass 3, located (a tracepoint\'s argument itself)', async (t) => {
	const e = await pass2('probe kernel.trace("sched:sched_switch") { $prev = 0 }');
	t.truthy(e.program, e.stderr);
	const err = t.throws(() => translateKmod(e.program!, { name: 'writes' }));
	t.regex(err!.message, /\$prev cannot be written by the kmod runtime/);
	t.is((err as { tok?: { line: number; column: number } }).tok?.column, 44);
});

test('bpf: a write is refused at pass 3, naming the variable and why', async (t) => {
	const e = await pass2('probe syscall.getppid.return { $return = 1 }');
	t.truthy(e.program, e.stderr);
	const err = t.throws(() => translate(e.program!, { name: 'writes' }));
	t.regex(err!.message, /writing \$return needs the kmod runtime: a BPF program cannot change/);
});

test('kmod: embedded C expressions and @const are pasted into the module (a string one copied out), which makes it a guru module; bpf refuses them at pass 3', async (t) => {
	const script = 'probe kernel.function("vfs_read").return { $return = %{ -EIO %} }\nprobe begin { printf("%d %s\\n", @const("PAGE_SIZE"), %{ /* string */ "hi" %}) }';
	const e = await pass2(script);
	t.truthy(e.program, e.stderr);
	const kmod = translateKmod(e.program!, { name: 'embeds' });
	t.true(kmod.guru);
	t.regex(kmod.source, /(t\d+) = \(\(tap_long\)\( -EIO \)\);\n\t+regs_set_return_value\(tap_regs\(c\), \(unsigned long\)\1\);/);
	t.regex(kmod.source, /\(\(tap_long\)\(\/\* pure \*\/ \/\* unprivileged \*\/ \/\* stable \*\/ PAGE_SIZE\)\)/);
	t.regex(kmod.source, /tap_str_copy\([\w>-]+, \(const char \*\)\( \/\* string \*\/ "hi" \)\);/);
	const bpf = await pass2('probe begin { println(%{ 1 %}) }');
	const err = t.throws(() => translate(bpf.program!, { name: 'embeds' }));
	t.regex(err!.message, /embedded C is not supported/);
});

test('kmod: an embedded C function is pasted between stap\'s macros and called as a script function (nesting counted, an error unwinds); bpf names it as embedded C', async (t) => {
	const script = 'function twice:long (x:long) %{ STAP_RETVALUE = STAP_ARG_x * 2; %}\nprobe begin { println(twice(21)) }';
	const e = await pass2(script);
	t.truthy(e.program, e.stderr);
	const kmod = translateKmod(e.program!, { name: 'embeds' });
	t.true(kmod.guru);
	t.regex(kmod.source, /TAP_FN int (\w+)\(struct tap_context \*c, tap_long \*ret, tap_long arg0\)\n\{\n\t\*ret = 0;\n#define STAP_ARG_x arg0\n#define STAP_RETVALUE \(\*ret\)\n/);
	t.regex(kmod.source, / STAP_RETVALUE = STAP_ARG_x \* 2; \n#undef STAP_ARG_x\n/);
	t.regex(kmod.source, /if \(TAP_NEST_EXCEEDED\(c, \d+\)\) \{/);
	const err = t.throws(() => translate(e.program!, { name: 'embeds' }));
	t.regex(err!.message, /function twice\(\) is embedded C, which the bpf runtime cannot run/);
});
