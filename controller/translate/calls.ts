// Function calls: script functions (generated C functions that return 1 to
// unwind), and the builtins the runtime API implements (execname(), pid(),
// exit(), error(), user_string() ...).
import type { Call, ConcreteProbe, Expr } from '../elaborate/program.js';
import type { ExprGen } from './arrays.js';
import type { Body } from './body.js';
import { cIdent } from './c-text.js';
import { TranslateError } from './module-context.js';
import { firstArgRegister } from '../elaborate/syscall-tapset.js';
import { probeFunctionValue, probeIsReturnValue, probePointValue } from './probe-points.js';

/** The C function of a script function. */
export function functionName(mangled: string): string {
	return `fn_${cIdent(mangled)}`;
}

type Builtin = (b: Body, args: string[], e: Call) => string;

const longOf = (fn: string): Builtin => () => `${fn}()`;

function stringInto(fill: (b: Body, dst: string, args: string[], e: Call) => void): Builtin {
	return (b, args, e) => {
		const s = b.strTemp();
		fill(b, s, args, e);
		return s;
	};
}

/** Builtins by runtime operation (or function name), as the runtime API spells them. */
const BUILTINS: Record<string, Builtin> = {
	execname: stringInto((b, s) => b.line(`tap_execname(${s});`)),
	// errno_str(err): "ENOENT" for 2 or -2, "" for a number without a name; errno_p(err): |err| or 0
	errno_str: stringInto((b, s, [err]) => b.line(`tap_errno_str(${s}, ${err});`)),
	errno_p: (b, [err]) => `tap_errno_p(${err})`,
	// ctime(secs): "Thu Jan  1 00:00:00 1970"; stap's errors outside 32 bits of seconds
	ctime: stringInto((b, s, [secs], e) => {
		b.open(`if ((${secs}) > TAP_CTIME_MAX || (${secs}) < TAP_CTIME_MIN) {`);
		raiseMessage(b, `(${secs}) > 0 ? "Time too far in the future to be converted" : "Time too far in the past to be converted"`, e);
		b.close();
		b.line(`tap_ctime(${s}, ${secs});`);
	}),
	// user_mode(): 1 when the probe interrupted user space: the saved registers' privilege
	// level where the handler has them (perf/timer samples, kprobes, uprobes); tracepoints fire
	// in the kernel; user-side probes are taprun's (stap's begin probes: the kernel).
	// One 8-byte load of the word that holds cs (perf_event contexts allow no narrower one).
	user_mode: fromRegisters('user_mode', 'tap_user_mode(c)', '((tap_long)(((*(__u64 *)&((struct pt_regs *)ctx)->cs) & 3) == 3))'),
	// addr(): the sampled or probed instruction pointer, from the same registers
	addr: fromRegisters('addr', 'tap_addr(c)', '((tap_long)((struct pt_regs *)ctx)->ip)'),
	// returnval(): the return value register of the same registers (a return probe's value)
	returnval: fromRegisters('returnval', 'tap_return_value(c)', '((tap_long)((struct pt_regs *)ctx)->ax)'),
	// uaddr(): the current task's user-space instruction pointer (its saved registers)
	uaddr: (b) => (b.side === 'kernel' || b.mod.bothSides ? 'tap_uaddr()' : '0LL'),
	// symname(addr): the kernel's own "%ps" on the kernel side; /proc/kallsyms on the bpf user side
	symname: stringInto((b, s, [a]) => b.line(`tap_symname(${s}, ${a});`)),
	// symdata(addr): "name+0x12/0x80 [kernel]"; modname(addr): its module ("kernel"), an error where no symbol holds it, as stap
	symdata: stringInto((b, s, [a]) => b.line(`tap_symdata(${s}, ${a});`)),
	modname: stringInto((b, s, [a], e) => {
		b.open(`if (tap_modname(${s}, ${a})) {`);
		raiseMessage(b, '"No module found for address"', e);
		b.close();
	}),
	// task_*(task): the task_struct at a script's address, kernel side
	task_current: (b) => (kernelOnly(b, 'task_current'), 'tap_task_current()'),
	// pid2task(pid): bpf_task_from_pid() (a kfunc of kernels since 6.2; raw tracepoints become tp_btf for it) on bpf,
	// the pid hash on kmod
	pid2task: (b, [pid]) => (kernelOnly(b, 'pid2task'), (b.mod.callsKfuncs = true), `tap_pid2task(${pid})`),
	task_parent: taskField('parent'),
	task_pid: taskField('pid'),
	task_tid: taskField('tid'),
	task_ppid: taskField('ppid'),
	task_uid: taskField('uid'),
	task_gid: taskField('gid'),
	task_state: taskField('state'),
	task_prio: taskField('prio'),
	task_nice: taskField('nice'),
	task_cpu: taskField('cpu'),
	task_execname: stringInto((b, s, [t]) => {
		kernelOnly(b, 'task_execname');
		b.line(`tap_task_execname(${s}, ${t});`);
	}),
	// is_return(): a return probe's handler, or a function it called
	is_return: probeIsReturnValue,
	// module_name(): the module's name (stap -m NAME, else tap_<hash>), known when it is generated
	module_name: (b) => b.mod.stringLiteral(b.mod.moduleName),
	ppid: longOf('tap_ppid'),
	pgrp: longOf('tap_pgrp'),
	num_online_cpus: longOf('tap_num_online_cpus'),
	sid: longOf('tap_sid'),
	// jiffies(): bpf_jiffies64() on the bpf kernel side; its user side asks the module's reader program for it
	jiffies: (b) => {
		b.readsKernelMemory();
		return '((tap_long)tap_jiffies())';
	},
	pexecname: stringInto((b, s) => b.line(`tap_pexecname(${s});`)),
	euid: longOf('tap_euid'),
	egid: longOf('tap_egid'),
	ktime_get_ns: longOf('tap_ktime_get_ns'),
	// local_clock_ns(), cpu_clock_ns(cpu), get_cycles(): the kernel's on kmod, the monotonic clock on bpf (tap_api.h)
	local_clock_ns: longOf('tap_local_clock_ns'),
	get_cycles: longOf('tap_get_cycles'),
	cpu_clock_ns: (b, [cpu], e) => {
		b.raiseIf(`!tap_cpu_online(${cpu})`, 'TAP_E_CPU_OFFLINE', e.tok, cpu);
		return `tap_cpu_clock_ns(${cpu})`;
	},
	// randint(n): [0, n); as stap, "range too wide" past 2**20 (or for a negative n)
	randint: (b, [n], e) => {
		const r = b.longTemp();
		b.open(`if ((__u64)(${n}) > ${RANDINT_MAX}) {`);
		raiseMessage(b, '"range too wide"', e);
		b.close();
		b.line(`${r} = (${n}) ? tap_randint(${n}) : 0;`);
		return r;
	},
	// kernel_long(addr) and its kin: stap's "kernel long copy fault at 0x..." where it cannot be read
	kernel_long: kernelRead('long', '__s64', 'TAP_E_KREAD_LONG'),
	kernel_int: kernelRead('int', '__s32', 'TAP_E_KREAD_INT'),
	kernel_short: kernelRead('short', '__s16', 'TAP_E_KREAD_SHORT'),
	kernel_char: kernelRead('char', '__s8', 'TAP_E_KREAD_CHAR'),
	kernel_pointer: kernelRead('pointer', '__u64', 'TAP_E_KREAD_POINTER'),
	// user_long(addr) and its kin: the traced process's memory, 0 where it cannot be read (as stap)
	user_long: userRead('long', 'user_long'),
	user_int: userRead('int', 'user_int'),
	user_short: userRead('short', 'user_short'),
	user_char: userRead('signed char', 'user_char'),
	user_int8: userRead('__s8', 'user_int8'),
	user_uint8: userRead('__u8', 'user_uint8'),
	user_int16: userRead('__s16', 'user_int16'),
	user_uint16: userRead('__u16', 'user_uint16'),
	user_ushort: userRead('__u16', 'user_ushort'),
	user_int32: userRead('__s32', 'user_int32'),
	user_uint32: userRead('__u32', 'user_uint32'),
	user_int64: userRead('__s64', 'user_int64'),
	user_uint64: userRead('__u64', 'user_uint64'),
	user_ulong: userRead('__u64', 'user_ulong'),
	// user_long_error(addr) and its kin: stap's "read fault" error where it cannot be read
	user_char_error: userReadOrError('signed char', 'user_char_error'),
	user_short_error: userReadOrError('short', 'user_short_error'),
	user_ushort_error: userReadOrError('__u16', 'user_ushort_error'),
	user_int_error: userReadOrError('int', 'user_int_error'),
	user_long_error: userReadOrError('long', 'user_long_error'),
	user_ulong_error: userReadOrError('__u64', 'user_ulong_error'),
	user_int8_error: userReadOrError('__s8', 'user_int8_error'),
	user_uint8_error: userReadOrError('__u8', 'user_uint8_error'),
	user_int16_error: userReadOrError('__s16', 'user_int16_error'),
	user_uint16_error: userReadOrError('__u16', 'user_uint16_error'),
	user_int32_error: userReadOrError('__s32', 'user_int32_error'),
	user_uint32_error: userReadOrError('__u32', 'user_uint32_error'),
	user_int64_error: userReadOrError('__s64', 'user_int64_error'),
	user_uint64_error: userReadOrError('__u64', 'user_uint64_error'),
	// int_arg(N) and its kin (tapsets/registers.stp): how the 64 bits of argument N are widened
	int_arg: registerArg('int_arg', 's32'),
	s32_arg: registerArg('s32_arg', 's32'),
	uint_arg: registerArg('uint_arg', 'u32'),
	u32_arg: registerArg('u32_arg', 'u32'),
	long_arg: registerArg('long_arg', '64'),
	ulong_arg: registerArg('ulong_arg', '64'),
	longlong_arg: registerArg('longlong_arg', '64'),
	ulonglong_arg: registerArg('ulonglong_arg', '64'),
	s64_arg: registerArg('s64_arg', '64'),
	u64_arg: registerArg('u64_arg', '64'),
	pointer_arg: registerArg('pointer_arg', '64'),
	// syscall_name(nr): x86_64's table (runtime-c/common/tap_syscalls.h), "" past its end
	syscall_name: stringInto((b, s, [nr]) => b.line(`tap_syscall_name(${s}, ${nr});`)),
	pid: longOf('tap_pid'),
	tid: longOf('tap_tid'),
	uid: longOf('tap_uid'),
	gid: longOf('tap_gid'),
	cpu: longOf('tap_cpu'),
	gettimeofday_ns: longOf('tap_gettimeofday_ns'),
	gettimeofday_us: () => 'tap_div64(tap_gettimeofday_ns(), 1000)',
	gettimeofday_ms: () => 'tap_div64(tap_gettimeofday_ns(), 1000000)',
	gettimeofday_s: () => 'tap_div64(tap_gettimeofday_ns(), 1000000000)',
	exit: (b) => {
		b.line('tap_exit(c);');
		return '0';
	},
	abort: (b) => {
		// stops at once: the rest of this handler and its callers do not run
		b.line('tap_abort(c);');
		b.line('goto out;');
		return '0';
	},
	// warn(msg): "WARNING: msg" on standard error (through the ring buffer from the kernel side); the probe goes on
	warn: (b, [msg]) => {
		b.line(`tap_warn(c, ${msg});`);
		return '0';
	},
	error: (b, [msg], e) => {
		b.line(`tap_error_user(c, ${msg});`);
		b.line(`goto ${b.errTarget};`);
		void e;
		return '0';
	},
	// user_string(addr [, err_msg]), kernel_string(addr [, err_msg]): "" (or
	// err_msg) where the string cannot be read (the page is not there). Not
	// stap's error (docs/runtime-api.md says why): that is the strict form's,
	// which the tapsets' user_string_warn() catches
	user_string: stringInto((b, s, [addr, err]) => {
		kernelOnly(b, 'user_string');
		b.line(`if (tap_user_string(${s}, (const void *)(${addr})))${err ? ` tap_str_copy(${s}, ${err});` : ' {}'}`);
	}),
	kernel_string: stringInto((b, s, [addr, err]) => {
		b.readsKernelMemory();
		b.line(`if (tap_kernel_string(${s}, (const void *)(${addr})))${err ? ` tap_str_copy(${s}, ${err});` : ' {}'}`);
	}),
	// user_string_n(addr, n [, err_msg]), kernel_string_n(addr, n): at most n characters; a fault as user_string's
	user_string_n: stringInto((b, s, [addr, n, err]) => {
		kernelOnly(b, 'user_string_n');
		b.line(`if (tap_gen_string_n(${s}, ${addr}, ${n}, 1))${err ? ` tap_str_copy(${s}, ${err});` : ' {}'}`);
	}),
	kernel_string_n: stringInto((b, s, [addr, n]) => {
		b.readsKernelMemory();
		if (b.side === 'kernel' || b.mod.bothSides) b.line(`tap_gen_string_n(${s}, ${addr}, ${n}, 0);`);
		else b.line(`tap_gen_read_kernel_string_n(${s}, ${addr}, ${n});`);
	}),
	// _user_string_n_strict(addr, n): stap's user_string_n(), a fault an error
	// ("user string copy fault -14 at 0x..."), for user_string_warn()
	_user_string_n_strict: stringInto((b, s, [addr, n], e) => {
		kernelOnly(b, 'user_string_n');
		b.raiseIf(`tap_gen_string_n(${s}, ${addr}, ${n}, 1)`, 'TAP_E_USTRING', e.tok, addr);
	}),
	_maxstringlen: () => '((tap_long)MAXSTRINGLEN)',
	strlen: (b, [s]) => `tap_str_len(${s})`,
	isinstr: (b, [s, t]) => `((tap_long)(${strpos(b, s!, t!)} >= 0))`,
	strpos: (b, [s, t]) => strpos(b, s!, t!),
	// target(): taprun's -x (kmod: a module parameter); 0 without, as stap's
	target: () => 'tap_target()',
	// tz_gmtoff(), tz_name(): the loader's time zone when it started (tzinfo.stp)
	tz_gmtoff: longOf('tap_tz_gmtoff'),
	tz_name: stringInto((b, s) => b.line(`tap_tz_name(${s});`)),
	// the pid of the process running the module's user side (taprun), as stap's stp_pid is stapio's
	stp_pid: () => 'tap_stp_pid()',
	substr: stringInto((b, d, [s, st, n]) => {
		if (b.side === 'kernel') b.line(`tap_substr(${d}, ${inBuffer(b, s!)}, ${st}, ${n});`);
		else b.line(`tap_gen_substr(${d}, ${s}, ${st}, ${n});`);
	}),
	// str_replace(s, search, repl): on the bpf kernel side, a bpf_loop() walk over buffers
	str_replace: stringInto((b, d, [s, f, t]) => {
		if (b.side === 'kernel' && !b.mod.bothSides) b.line(`tap_str_replace_k(${d}, ${inBuffer(b, s!)}, ${inBuffer(b, f!)}, ${inBuffer(b, t!)});`);
		else b.line(`tap_gen_str_replace(${d}, ${s}, ${f}, ${t});`);
	}),
	tolower: stringInto((b, d, [s]) => b.line(b.side === 'kernel' ? `tap_case(${d}, ${inBuffer(b, s!)}, 0);` : `tap_gen_case(${d}, ${s}, 0);`)),
	toupper: stringInto((b, d, [s]) => b.line(b.side === 'kernel' ? `tap_case(${d}, ${inBuffer(b, s!)}, 1);` : `tap_gen_case(${d}, ${s}, 1);`)),
	isdigit: (b, [s]) => `((tap_long)((${s})[0] >= '0' && (${s})[0] <= '9'))`,
	// strtol(s, base): the kernel's simple_strtoll() on kmod (stap's), the same rules in tapfleet's C on bpf
	strtol: (b, [s, base]) => {
		if (b.mod.bothSides) return `((tap_long)strtoll(${s}, NULL, (unsigned int)(${base})))`;
		if (b.side !== 'kernel') return `tap_strtol(${s}, ${base})`;
		const r = b.longTemp();
		b.line(`${r} = tap_strtol_k(${inBuffer(b, s!)}, ${base});`);
		return r;
	},
	// pp(), ppfunc(): the probe point, and the function it names (in a function: the calling probe's)
	pp: (b) => probePointValue(b, 'point'),
	ppfunc: (b) => probePointValue(b, 'function'),
	// pn(): the script's probe point as it matched, wildcards filled in (stap's probe_name)
	pn: (b) => probePointValue(b, 'name'),
	probefunc: (b, _args, e) => probeFunctionValue(b, () => BUILTINS.addr!(b, [], e)),
	print_backtrace: backtraceOf('print_backtrace', 'tap_print_backtrace'),
	// the user stack of the probed event; symbolized by the user side through the process's mappings
	print_ubacktrace: backtraceOf('print_ubacktrace', 'tap_print_ubacktrace'),
	// the same, each frame as "name+0xOFF" (or its address where no symbol is)
	print_ubacktrace_brief: backtraceOf('print_ubacktrace_brief', 'tap_print_ubacktrace_brief'),
	// ubacktrace(): the user stack as hex addresses; print_ustack()/sprint_ustack() name them on the user side
	ubacktrace: stringInto((b, s, _args, e) => {
		if (b.mod.bothSides) return void b.line(`tap_ubacktrace(c, ${s});`);
		kernelStackHere(b, e, 'ubacktrace');
		b.line(`tap_ubacktrace(${s}, ctx);`);
	}),
	// probemod(): the kernel module the probed or sampled instruction is in ("kernel" for the kernel's own), as stap's
	// reads its kernel registers; where a probe has none (a tracepoint, a timer, user code), stap's error
	probemod: stringInto((b, s, _args, e) => {
		const kind = b.shared.eventKind;
		if (b.isFunction || !kind) b.unsupported(e.tok, 'probemod() in a function');
		if (kind === 'kprobe' || kind === 'perf' || kind === 'profile') {
			b.open(`if (${BUILTINS.user_mode!(b, [], e)} || tap_modname(${s}, ${BUILTINS.addr!(b, [], e)})) {`);
		} else b.open('{');
		raiseMessage(b, '"Cannot determine kernel module name"', e);
		b.close();
	}),
	// sprint_backtrace(): the kernel stack, a line a frame in stap's simple form ("vfs_read+0x5 [kernel]"), named in the kernel
	sprint_backtrace: stringInto((b, s, _args, e) => {
		if (b.mod.bothSides) return void b.line(`tap_sprint_backtrace(c, ${s});`);
		kernelStackHere(b, e, 'sprint_backtrace');
		b.line(`tap_sprint_backtrace(${s}, ctx);`);
	}),
	// callers(n), ucallers(n): the first n + 1 addresses of backtrace(), ubacktrace() (-1: all); an error where the stack is shallower, as stap's
	callers: firstFrames('callers', 'tap_callers', '0'),
	ucallers: firstFrames('ucallers', 'tap_ucallers', 'BPF_F_USER_STACK'),
	// stack(n), ustack(n): the address at depth n of the same stacks (0: the probed instruction)
	stack: frameAt('stack', 'tap_stack_at', '0'),
	ustack: frameAt('ustack', 'tap_ustack_at', 'BPF_F_USER_STACK'),
	// backtrace(): the kernel stack as hex addresses; print_stack()/sprint_stack() name them on the user side
	backtrace: stringInto((b, s, _args, e) => {
		if (b.mod.bothSides) return void b.line(`tap_backtrace(c, ${s});`);
		kernelStackHere(b, e, 'backtrace');
		b.line(`tap_backtrace(${s}, ctx);`);
	}),
	// system(cmd): taprun starts it under /bin/sh -c in the background; from a kernel-side probe, through a record
	system: (b, [cmd]) => {
		b.mod.runsCommands = true;
		if (b.mod.bothSides) b.line(`tap_system(c, ${cmd});`);
		else if (b.side === 'kernel') b.line(`tap_system_k(c, ${cmd});`);
		else b.line(`tap_system(${cmd});`);
		return '0';
	},
	// printk(level, msg): the kernel log; on the bpf kernel side the message travels to the user side, which writes /dev/kmsg
	printk: (b, [level, msg]) => {
		if (b.mod.bothSides) b.line(`tap_printk(c, ${level}, ${msg});`);
		else if (b.side === 'kernel') b.line(`tap_printk_k(c, ${level}, ${msg});`);
		else b.line(`tap_printk(${level}, ${msg});`);
		return '0';
	},
	// print_stack(stk): on the bpf kernel side the string travels to the user side, which names the addresses
	print_stack: (b, [stk]) => {
		if (b.mod.bothSides) b.line(`tap_print_stack(c, ${stk});`);
		else if (b.side === 'kernel') b.line(`tap_print_stack_k(c, ${stk});`);
		else b.line(`tap_print_stack(${stk});`);
		return '0';
	},
	sprint_stack: stringInto((b, s, [stk], e) => {
		if (b.side === 'kernel' && !b.mod.bothSides) b.unsupported(e.tok, 'sprint_stack()');
		b.line(`tap_sprint_stack(${s}, ${stk});`);
	}),
	// usymname(addr), usymdata(addr), umodname(addr): an address of the current task, named on kmod as its user stacks
	// are; on the bpf kernel side the same way, in the probe (tap_usyms_k.h), by tables the module carries
	usymname: userSymbol('usymname', (b, s, a, _e, k) => b.line(`tap_usymname${k}(${s}, ${a});`)),
	usymdata: userSymbol('usymdata', (b, s, a, _e, k) => b.line(`tap_usymdata${k}(${s}, ${a});`)),
	umodname: userSymbol('umodname', (b, s, a, e, k) => {
		b.open(`if (tap_umodname${k}(${s}, ${a})) {`);
		raiseMessage(b, '"module cannot be found"', e);
		b.close();
	}),
	// sprint_ubacktrace(): named where the frames are taken: kmod's stack walk, bpf's in a kernel-side probe (tap_usyms_k.h)
	sprint_ubacktrace: stringInto((b, s, _args, e) => {
		if (b.mod.bothSides) return void b.line(`tap_sprint_ubacktrace(c, ${s});`);
		kernelStackHere(b, e, 'sprint_ubacktrace');
		b.mod.userSymbols = true;
		b.line(`tap_sprint_ubacktrace_k(${s}, ctx);`);
	}),
	print_ustack: (b, [stk], e) => {
		if (b.mod.bothSides) return b.line(`tap_print_ustack(c, ${stk});`), '0';
		if (b.side === 'kernel') b.unsupported(e.tok, 'print_ustack() (print_ubacktrace() prints the stack where it is taken)');
		b.line(`tap_print_ustack(${stk});`);
		return '0';
	},
	// tokenize(input, delim): stateful across calls (as stap's, per context), on the user side and on kmod
	tokenize: stringInto((b, s, [input, delim]) => {
		userOnly(b, 'tokenize');
		b.line(b.mod.bothSides ? `tap_tokenize(c, ${s}, ${input}, ${delim});` : `tap_tokenize(${s}, ${input}, ${delim});`);
	}),
	sprint_ustack: stringInto((b, s, [stk], e) => {
		if (b.side === 'kernel') b.unsupported(e.tok, 'sprint_ustack()');
		b.line(`tap_sprint_ustack(${s}, ${stk});`);
	}),
	user_string_quoted: stringInto((b, d, [addr]) => {
		kernelOnly(b, 'user_string_quoted');
		b.line(`tap_gen_string_quoted(${d}, ${addr}, 1);`);
	}),
	kernel_string_quoted: stringInto((b, d, [addr]) => {
		kernelOnly(b, 'kernel_string_quoted');
		b.line(`tap_gen_string_quoted(${d}, ${addr}, 0);`);
	}),
	user_buffer_quoted: stringInto((b, d, [addr, inlen, outlen]) => {
		kernelOnly(b, 'user_buffer_quoted');
		b.line(`tap_gen_user_buffer_quoted(${d}, ${addr}, ${inlen}, ${outlen});`);
	}),
	__get_argv: stringInto((b, d, [argv, first]) => {
		kernelOnly(b, '__get_argv');
		b.line(`tap_gen_argv(${d}, ${argv}, ${first});`);
	}),
	_sys_open_flag_str: stringInto((b, d, [f]) => {
		kernelOnly(b, '_sys_open_flag_str');
		b.line(`tap_gen_open_flags(${d}, ${f});`);
	}),
	big_endian2: (b, [x]) => `((tap_long)__builtin_bswap16((__u16)(${x})))`,
	big_endian4: (b, [x]) => `((tap_long)__builtin_bswap32((__u32)(${x})))`,
	big_endian8: (b, [x]) => `((tap_long)__builtin_bswap64((__u64)(${x})))`,
	little_endian2: (b, [x]) => `((tap_long)(__u16)(${x}))`,
	little_endian4: (b, [x]) => `((tap_long)(__u32)(${x}))`,
	little_endian8: (b, [x]) => `(${x})`,
	// text_str(s), text_strn(s, len, quoted), string_quoted(s): stap's
	// _stp_text_str escaping; the bpf kernel side's runtime escapes in
	// bpf_loop() rounds, over a MAXSTRINGLEN buffer
	text_str: stringInto((b, d, [s]) => textStr(b, d, s!, '0', '0')),
	text_strn: stringInto((b, d, [s, len, quoted]) => textStr(b, d, s!, `(int)((${len}) < 0 ? 0 : (${len}) > MAXSTRINGLEN ? MAXSTRINGLEN : (${len}))`, `(int)(${quoted})`)),
	string_quoted: stringInto((b, d, [s]) => textStr(b, d, s!, 'MAXSTRINGLEN', '1')),
	// stringat(s, pos): stap's "Position out of bounds" outside the string
	stringat: (b, [s, pos], e) => {
		const p = b.longTemp();
		b.line(`${p} = ${pos};`);
		b.raiseIf(`${p} < 0 || ${p} >= tap_str_len(${s})`, 'TAP_E_STRING', e.tok);
		return b.side === 'kernel' || b.mod.bothSides ? `tap_gen_char_at(${s}, ${p})` : `tap_gen_char_at_user(${s}, ${p})`;
	},
};

/** Kinds of event whose handler's ctx starts with the interrupted registers (struct pt_regs). */
const REGS_EVENTS: ReadonlySet<string> = new Set(['perf', 'profile', 'timer', 'kprobe', 'uprobe']);

/**
 * A value of the probe's saved registers: kmod's runtime call, or on the bpf
 * kernel side `read` of the handler's ctx where it starts with them (0 where
 * an event has none, and on the user side); a function on the kernel side
 * has no ctx.
 */
function fromRegisters(name: string, kmod: string, read: string): Builtin {
	return (b, _args, e) => {
		if (b.mod.bothSides) return kmod;
		if (b.side !== 'kernel') return '0LL';
		if (!REGS_EVENTS.has(b.shared.eventKind)) return b.shared.eventKind ? '0LL' : b.unsupported(e.tok, `${name}() in a function on the kernel side`);
		if (b.isFunction || b.shared.localsName !== b.name) b.unsupported(e.tok, `${name}() outside a kernel-side probe handler body`);
		return read;
	};
}

/** x86_64's argument registers: a system call's (the fourth in r10) and a C function's (in rcx). */
const SYSCALL_ARG_REGS = ['di', 'si', 'dx', 'r10', 'r8', 'r9'];
/** A function's integer arguments at its entry (x86-64 calling convention). */
export const CALL_ARG_REGS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

/**
 * Argument N (a literal, 1-6) of the probed system call or function, from
 * the registers it came in: the current task's user registers in syscall
 * and process probes (the same registers a uprobe's ctx has, and readable
 * from a loop's callback too), the probe's own in kprobes. 32-bit
 * (compat) tasks' system calls are not told apart.
 */
function registerArg(name: string, width: 's32' | 'u32' | '64'): Builtin {
	return (b, [n], e) => {
		const literal = /^(-?\d+)LL$/.exec(n ?? '');
		if (!literal) throw new TranslateError(e.tok, `${name}(): the argument number must be a literal (1 to 6)`);
		const k = Number(literal[1]);
		const at = k + (b.shared.firstArg ?? 1) - 1;
		if (k < 1 || at > 6) {
			const shifted = at === k ? '' : ` (in ${b.probePoint}, argument ${k} is the call's ${at})`;
			throw new TranslateError(e.tok, `cannot access arg(${k}): ${name}() reads the six arguments passed in registers${shifted}`);
		}
		if (b.isFunction) throw new TranslateError(e.tok, `${name}() in a function: call it in the probe's handler and pass the value (which registers hold the arguments depends on the probe)`);
		const regs = b.side === 'kernel' || b.mod.bothSides ? b.shared.argRegs : undefined;
		if (!regs) throw new TranslateError(e.tok, `cannot access function args in this context: ${name}() needs a syscall, process(...) or kprobe probe`);
		let read: string;
		if (regs === 'syscall') read = `TAP_TASK_UREG(${SYSCALL_ARG_REGS[at - 1]})`;
		else if (regs === 'user-call') read = `TAP_TASK_UREG(${CALL_ARG_REGS[k - 1]})`;
		else {
			if (!b.mod.bothSides && b.shared.localsName !== b.name) b.unsupported(e.tok, `${name}() of a kprobe outside the handler's body (in a loop)`);
			read = `TAP_KREG(${CALL_ARG_REGS[k - 1]})`;
		}
		const v = b.longTemp();
		b.line(`${v} = ${width === 's32' ? '(tap_long)(__s32)' : width === 'u32' ? '(tap_long)(__u32)' : '(tap_long)'}${read};`);
		return v;
	};
}

/** Where int_arg() finds a probe's arguments (registers.stp): which registers, and which one holds argument 1. */
export function argumentRegisters(b: Body, p: ConcreteProbe): void {
	const e = p.event;
	if (e.kind === 'tracepoint' && e.system === 'syscalls') {
		b.shared.argRegs = 'syscall';
		b.shared.firstArg = firstArgRegister(p.named, e.event.replace(/^sys_(enter|exit)_/, ''));
	} else if (e.kind === 'raw_tracepoint' && (e.event === 'sys_enter' || e.event === 'sys_exit')) b.shared.argRegs = 'syscall';
	else if (e.kind === 'uprobe') b.shared.argRegs = 'user-call';
	else if (e.kind === 'kprobe') b.shared.argRegs = 'kernel-call';
}

/** stap's randint() limit. */
const RANDINT_MAX = 1 << 20;

/**
 * A string argument in a MAXSTRINGLEN buffer of its own, as the bpf kernel
 * side's string loops need it (a literal's .rodata object is shorter, and
 * the verifier follows every read).
 */
export function inBuffer(b: Body, s: string): string {
	const t = b.strTemp();
	b.line(`tap_str_copy(${t}, ${s});`);
	return t;
}

/** strpos(s, t): the bpf kernel side's bpf_loop search over buffers, else the C library's. */
function strpos(b: Body, s: string, t: string): string {
	if (b.side !== 'kernel') return `tap_gen_strpos(${s}, ${t})`;
	const r = b.longTemp();
	b.line(`${r} = tap_strpos(${inBuffer(b, s)}, ${inBuffer(b, t)});`);
	return r;
}

/** A builtin's own error, as stap reports one: its message, then "near" the call's location. */
function raiseMessage(b: Body, message: string, e: Call): void {
	b.line(`tap_error_user(c, ${message});`);
	b.line(`c->last_loc = ${b.mod.location(e.tok)};`);
	b.line(`goto ${b.errTarget};`);
}

function taskField(field: string): Builtin {
	return (b, [t]) => {
		kernelOnly(b, `task_${field}`);
		return `tap_task_${field}(${t})`;
	};
}

/** print_backtrace() and print_ubacktrace(): the stack of the probed event travels in a record; the user side symbolizes it. */
function backtraceOf(name: string, runtime: string): Builtin {
	return (b, _args, e) => {
		if (b.mod.bothSides) {
			// kmod: unwound in the kernel and named there (kmod_stack.c, kmod_ustack.c)
			b.line(name === 'print_backtrace' ? 'tap_print_backtrace(c);' : `tap_print_ubacktrace(c, ${name === 'print_ubacktrace_brief' ? 1 : 0});`);
			return '0';
		}
		kernelStackHere(b, e, name);
		b.line(`${runtime}(c, ctx);`);
		return '0';
	};
}

/** kmod's `tap_NAME()` in any handler; bpf's `tap_NAME_k()` in kernel-side ones (the user side runs in taprun, not the task). */
function userSymbol(name: string, gen: (b: Body, s: string, addr: string, e: Call, suffix: string) => void): Builtin {
	return stringInto((b, s, [a], e) => {
		if (b.mod.bothSides) return gen(b, s, a!, e, '');
		if (b.side !== 'kernel') b.unsupported(e.tok, `${name}() (a user address of the probed task: kernel-side probes only)`);
		b.mod.userSymbols = true;
		gen(b, s, a!, e, '_k');
	});
}

/** callers(n)/ucallers(n): kmod's `kmodFn(c, s, n)`; bpf's tap_callers(s, ctx, n, flags). */
function firstFrames(name: string, kmodFn: string, bpfFlags: string): Builtin {
	return stringInto((b, s, [n], e) => {
		if (!b.mod.bothSides) kernelStackHere(b, e, name);
		b.raiseIf(b.mod.bothSides ? `${kmodFn}(c, ${s}, ${n}) < 0` : `tap_callers(${s}, ctx, ${n}, ${bpfFlags}) < 0`, 'TAP_E_UNWIND', e.tok, n);
	});
}

/** stack(n)/ustack(n): kmod's `kmodFn(c, n, &v)`; bpf's tap_stack_at(ctx, n, &v, flags). */
function frameAt(name: string, kmodFn: string, bpfFlags: string): Builtin {
	return (b, [n], e) => {
		if (!b.mod.bothSides) kernelStackHere(b, e, name);
		const v = b.longTemp();
		b.raiseIf(b.mod.bothSides ? `${kmodFn}(c, ${n}, &${v}) < 0` : `tap_stack_at(ctx, ${n}, &${v}, ${bpfFlags}) < 0`, 'TAP_E_UNWIND', e.tok, n);
		return v;
	};
}

/** The bpf runtime takes a stack from the probe's own context, which only a kernel-side probe handler's body has. */
function kernelStackHere(b: Body, e: Call, name: string): void {
	if (b.side !== 'kernel' || b.isFunction || b.shared.localsName !== b.name) b.unsupported(e.tok, `${name}() outside a kernel-side probe handler body`);
}

/** A read by `macro` (nonzero on a fault, the value 0 then) that raises `code` at the call, naming the address. */
function raisingRead(macro: string, cType: string, code: string, check: (b: Body) => void): Builtin {
	return (b, [addr], e) => {
		check(b);
		const v = b.longTemp();
		b.raiseIf(`${macro}(${cType}, ${addr}, &${v})`, code, e.tok, addr);
		return v;
	};
}

function kernelRead(kind: string, cType: string, code: string): Builtin {
	return raisingRead('TAP_KERNEL_READ', cType, code, (b) => b.readsKernelMemory());
}

function userRead(cType: string, name: string): Builtin {
	return (b, [addr]) => {
		kernelOnly(b, name);
		const v = b.longTemp();
		b.line(`${v} = TAP_USER_READ(${cType}, ${addr});`);
		return v;
	};
}

function textStr(b: Body, d: string, s: string, outlen: string, quoted: string): void {
	if (b.side === 'kernel' && !b.mod.bothSides) b.line(`tap_text_str(${d}, ${inBuffer(b, s)}, ${outlen}, ${quoted});`);
	else b.line(`tap_gen_text_str(${d}, ${s}, 0, ${outlen}, ${quoted});`);
}

function userReadOrError(cType: string, name: string): Builtin {
	return raisingRead('TAP_USER_READ_CHECKED', cType, 'TAP_E_UREAD', (b) => kernelOnly(b, name));
}

function userOnly(b: Body, name: string): void {
	if (b.side === 'kernel') b.unsupported(null, `${name}()`);
}

function kernelOnly(b: Body, name: string): void {
	if (b.side === 'user' && !b.mod.bothSides) b.unsupported(null, `${name}()`);
}

export function genCall(b: Body, e: Call, gen: ExprGen): string {
	const f = e.callee;
	const args = e.args.map((a) => {
		const v = gen(b, a);
		if (a.type === 'string' || /^-?\d+LL$/.test(v)) return v;
		const t = b.longTemp();
		b.line(`${t} = ${v};`);
		return t;
	});
	// kmod pastes a script's embedded C functions (kmod/embedded-function.ts): called as script functions
	if (f.body.kind === 'runtime' || (f.body.kind === 'embedded' && !b.mod.bothSides)) {
		const op = f.body.kind === 'runtime' ? f.body.operation : f.name;
		const builtin = BUILTINS[op] ?? BUILTINS[f.name];
		if (!builtin && f.body.kind === 'embedded') throw new TranslateError(e.tok, `function ${f.name}() is embedded C, which the bpf runtime cannot run (its programs are generated from the language only; the kmod runtime pastes it)`);
		if (!builtin) throw new TranslateError(e.tok, `function ${f.name}() is not available in the ${b.mod.bothSides ? 'kmod' : 'bpf'} runtime yet`);
		const outer = b.callTok;
		b.callTok = e.tok;
		try {
			return builtin(b, args, e);
		} finally {
			b.callTok = outer;
		}
	}
	return callScript(b, e, args);
}

function callScript(b: Body, e: Call, args: string[]): string {
	const f = e.callee;
	let ret = 'NULL';
	let result = '0';
	if (f.returnType === 'string') {
		result = b.strTemp();
		ret = result;
	} else if (f.returnType === 'long') {
		result = b.longTemp();
		ret = `&${result}`;
	}
	// MAXNESTING is checked (and reported) at the call site, as stap does
	b.open(`if (TAP_NEST_EXCEEDED(c, ${b.mod.location(e.tok)})) {`);
	b.line('TAP_NEST_LEAVE(c);');
	b.line(`goto ${b.errTarget};`);
	b.close();
	const rc = b.longTemp();
	b.line(`${rc} = ${functionName(f.mangledName)}(c, ${[ret, ...args].join(', ')});`);
	b.line('TAP_NEST_LEAVE(c);');
	b.line(`if (${rc})`);
	b.lines.push({ depth: b.depth + 1, text: b.unwind() });
	return result;
}

/** The C parameter list of a script function (after the context). */
export function functionParams(f: Call['callee']): string {
	const ret = f.returnType === 'string' ? 'char *ret' : f.returnType === 'long' ? 'tap_long *ret' : 'void *ret';
	return [ret, ...f.params.map((p) => (p.type === 'string' ? `const char *arg${p.index}` : `tap_long arg${p.index}`))].join(', ');
}

export type { Expr };
