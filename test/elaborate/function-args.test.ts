// kernel.function("f") parameters as target variables ($file, $count,
// $file->f_path->dentry->d_name->name, $$parms), resolved from the
// prototype in the target's BTF: the argument register at the kprobe and a
// member chain; in a return probe, the value at entry (as stap).
import test from 'ava';
import type { TargetVar } from '../../controller/elaborate/program.js';
import { BTF_KIND } from '../../controller/elaborate/btf-types.js';
import { btfOf } from '../../controller/elaborate/tracepoint-args.js';
import { translate } from '../../controller/translate/translate.js';
import { elaborate, localProfile, withKprobes } from './helpers.js';

const sources = (vars: readonly TargetVar[]) => vars.map((v) => [v.name, v.type, v.source.kind === 'call_arg' ? v.source.index : v.source.kind, v.source.kind === 'call_arg' ? v.source.steps.length : 0]);

test('parameters by name, with member chains through struct members and pointers; the bpf C reads the argument registers', async (t) => {
	const p = withKprobes(await localProfile(), ['vfs_read']);
	const r = elaborate(p, 'probe kernel.function("vfs_read") { printf("%s %d %x %d\\n", kernel_string($file->f_path->dentry->d_name->name), $count, $buf, $file->f_flags) }');
	t.is(r.stderr, '');
	t.deepEqual(sources(r.program!.probes[0]!.targetVars), [
		['$file->f_path->dentry->d_name->name', 'long', 0, 2],
		['$count', 'long', 2, 0],
		['$buf', 'long', 1, 0],
		['$file->f_flags', 'long', 0, 1],
	]);
	const c = translate(r.program!, { name: 'm' }).source;
	t.true(c.includes('TAP_KREG(di)'));
	t.true(c.includes('TAP_KREG(dx)'));
});

test('in a return probe a parameter is its value at entry: an entry probe saves it by thread; $$parms lists them all', async (t) => {
	const p = withKprobes(await localProfile(), ['vfs_read']);
	const r = elaborate(p, 'probe kernel.function("vfs_read").return { printf("%d %d %s\\n", $count, $return, $$parms) }');
	t.is(r.stderr, '');
	const [ret, entry] = r.program!.probes;
	t.is(ret!.point, 'kernel.function("vfs_read").return');
	t.deepEqual(sources(ret!.targetVars), [['$return', 'long', 'return_value', 0]]);
	t.is(entry!.point, 'kernel.function("vfs_read")');
	t.deepEqual(sources(entry!.targetVars).map((s) => s[0]), ['$count', '$file', '$buf', '$pos']);
	const parms = elaborate(p, 'probe kernel.function("vfs_read") { println($$parms) }');
	t.is(parms.stderr, '');
	t.deepEqual(sources(parms.program!.probes[0]!.targetVars).map((s) => s[0]), ['$file', '$buf', '$count', '$pos']);
	t.true(translate(parms.program!, { name: 'm' }).source.includes('"file=0x%llx buf=0x%llx count=0x%llx pos=0x%llx"'));
});

test('what cannot be read is a located error: an unknown name (with the parameters as alternatives), a seventh parameter, a member of a non-struct', async (t) => {
	const base = await localProfile();
	const btf = btfOf(base)!;
	// a function with seven integer or pointer parameters, from this kernel's BTF
	const simple = (type: number) => { const k: number = btf.types[btf.resolve(type)]!.kind; return k === BTF_KIND.INT || k === BTF_KIND.PTR; };
	const seven = btf.types.findIndex((ty) => ty.kind === BTF_KIND.FUNC && base.symbols.functions.includes(ty.name)
		&& btf.types[ty.sizeOrType]!.members.length === 7 && btf.types[ty.sizeOrType]!.members.every((m) => m.name && simple(m.type)));
	t.true(seven > 0);
	const fn = btf.types[seven]!.name;
	const seventh = btf.types[btf.types[seven]!.sizeOrType]!.members[6]!.name;
	const p = withKprobes(base, ['vfs_read', fn]);
	t.regex(elaborate(p, 'probe kernel.function("vfs_read") { println($cout) }').stderr,
		/^semantic error: unable to find tracepoint variable '\$cout' \(alternatives: \$file \$buf \$count \$pos \$\$parms \$\$vars\): identifier '\$cout' at <input>:1:45\n/);
	t.regex(elaborate(p, `probe kernel.function("${fn}") { println($${seventh}) }`).stderr,
		new RegExp(`semantic error: \\$${seventh} is parameter 7 of ${fn}; only the first 6 are in registers: identifier '\\$${seventh}'`));
	t.regex(elaborate(p, 'probe kernel.function("vfs_read") { println($count->x) }').stderr, /'\$count' \(size_t\) is not a struct or union, or a pointer to one/);
});

test('a struct of integers of up to 16 bytes before a parameter takes its registers: $optlen of tcp_setsockopt is the sixth, after sockptr_t\'s two', async (t) => {
	const p = withKprobes(await localProfile(), ['tcp_setsockopt']);
	const r = elaborate(p, 'probe kernel.function("tcp_setsockopt") { printf("%d %d %d\\n", $level, $optname, $optlen) }');
	t.is(r.stderr, '');
	t.deepEqual(sources(r.program!.probes[0]!.targetVars), [['$level', 'long', 1, 0], ['$optname', 'long', 2, 0], ['$optlen', 'long', 5, 0]]);
	t.true(translate(r.program!, { name: 'm' }).source.includes('TAP_KREG(r9)'));
	t.regex(elaborate(p, 'probe kernel.function("tcp_setsockopt") { println($optval) }').stderr, /cannot read \$optval of tcp_setsockopt: \$optval is sockptr_t, not passed in one integer register/);
});
