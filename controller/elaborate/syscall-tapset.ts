// The syscall.* tapset, written in the SystemTap language from the target's
// syscall tracepoints: one alias pair per system call the kernel has, so
// that `syscall.*` means exactly the calls this kernel can trace. The
// no-debuginfo spellings (nd_syscall, nd1_syscall, nd2_syscall, tp_syscall)
// name the same probes. syscall.open also covers openat and openat2, since
// modern C libraries never call open(2).
import type { KernelProfile, Tracepoint, TracepointField } from '../profile/types.js';
import { argstrStatements, knownArgstrFormat } from './syscall-argstr.js';
import { STAP_SYSCALL_VARS } from './syscall-stap-vars.js';

const SPELLINGS = ['syscall', 'nd_syscall', 'nd1_syscall', 'nd2_syscall', 'tp_syscall'];

/**
 * stap's names for calls whose tracepoint is named after the kernel's
 * SYSCALL_DEFINE instead (x86-64): syscall.fstat traces sys_enter_newfstat,
 * and its `name` is "fstat", as in stap's tapset.
 */
const STAP_NAMES: Record<string, string> = {
	newfstat: 'fstat', newstat: 'stat', newlstat: 'lstat', newfstatat: 'fstatat', newuname: 'uname', sendfile64: 'sendfile',
};

const stapName = (call: string): string => STAP_NAMES[call] ?? call;

/** Extra tracepoints an alias covers besides its own (syscall.open: openat, openat2). */
const ALSO_FIRES_FOR: Record<string, string[]> = { open: ['openat', 'openat2'] };

/**
 * How many arguments the extra calls have before the alias's own first one
 * (openat's dirfd): int_arg(N) of syscall.open is open(2)'s argument N
 * however the call was made (registers.stp).
 */
const ARGS_BEFORE: Record<string, Record<string, number>> = { open: { openat: 1, openat2: 1 } };

/**
 * The register argument that holds argument 1 of what a syscall probe
 * point names ('nd_syscall.open.return'), for the call its tracepoint
 * traces ('openat'): 1, or later for a call an alias also covers.
 */
export function firstArgRegister(named: string, call: string): number {
	const alias = /^(?:nd_|nd1_|nd2_|tp_)?syscall\.(\w+?)(?:\.return)?$/.exec(named)?.[1];
	return 1 + ((alias ? ARGS_BEFORE[alias]?.[call] : undefined) ?? 0);
}

/**
 * Names an argument variable may not take: keywords, the variables every
 * syscall probe has, and the argv tapset's globals (execve's argv would
 * assign the script's argument array).
 */
const RESERVED = new Set([
	'argc', 'argv',
	'name', 'argstr', 'retstr', 'retval', 'probe', 'global', 'function', 'if', 'else', 'for', 'foreach', 'in', 'limit',
	'return', 'delete', 'while', 'break', 'continue', 'next', 'string', 'long', 'try', 'catch', 'private',
]);

/** An argument's variable: strings are read from user memory, pointers kept as addresses. */
function argument(field: TracepointField): { field: string; assign: string[]; fmt: string; value: string; addr: string } {
	const f = { ...field, name: RESERVED.has(field.name) ? field.name + '_arg' : field.name };
	const isCharPtr = /^const char \*$/.test(f.type);
	if (isCharPtr) {
		return {
			assign: [`${f.name}_uaddr = $${field.name}`, `${f.name} = user_string_quoted($${field.name})`],
			fmt: '%s', value: f.name, field: field.name, addr: `${f.name}_uaddr`,
		};
	}
	const isPtr = f.type.includes('*');
	return { assign: [`${f.name} = $${field.name}`], fmt: isPtr ? '%p' : '%d', value: f.name, field: field.name, addr: f.name };
}

function argFields(tp: Tracepoint): TracepointField[] {
	return tp.fields.filter((f) => f.name !== '__syscall_nr');
}

/** argstr in stap's form for the calls syscall-argstr.ts knows, else the generic form. */
function argstrLines(args: ReturnType<typeof argument>[], aliasName: string, callName: string): string[] {
	const format = knownArgstrFormat(aliasName, callName);
	const byField = new Map(args.map((a) => [a.field, a]));
	const known = format && argstrStatements(format, (f) => byField.get(f)?.value, (f) => byField.get(f)?.addr);
	if (known) return known;
	const fmt = args.map((a) => a.fmt).join(', ');
	return [args.length ? `argstr = sprintf("${fmt}", ${args.map((a) => a.value).join(', ')})` : 'argstr = ""'];
}

/**
 * The variables stap's syscall.NAME sets under names of its own
 * (syscall.wait4's pid, where the tracepoint says upid; futex_uaddr),
 * read from the same argument; names the tracepoint gives already are kept.
 */
function stapVariables(tp: Tracepoint, callName: string, assigned: ReadonlySet<string>): string[] {
	const fields = argFields(tp);
	const lines: string[] = [];
	for (const [name, position, kind] of STAP_SYSCALL_VARS[stapName(callName)] ?? []) {
		const field = fields[position - 1];
		if (!field || assigned.has(name) || RESERVED.has(name)) continue;
		const value = `$${field.name}`;
		const expr = kind === 'uint' ? `${value} & 0xffffffff` : kind === 'quoted' ? `user_string_quoted(${value})`
			: kind === 'string' ? `user_string(${value}, "")` : value;
		lines.push(`${name} = ${expr}`);
	}
	return lines;
}

function computedVariables(callName: string, assigned: ReadonlySet<string>): string[] {
	return (COMPUTED_VARS[callName] ?? []).filter(([name]) => !assigned.has(name)).map(([name, expr]) => `${name} = ${expr}`);
}

/**
 * Variables stap's syscall.NAME computes beyond its arguments' values (not
 * in the _REGARGS macros that syscall-stap-vars.ts is generated from):
 * execve's argument and environment vectors as one string each, as its
 * `args` and `env_str` (`"/bin/ls" "-l"`); connect's and bind's address
 * in parts (stap's @_af_inet_info_u, sockaddr.stp); sendto's data, flags and
 * address as its argstr shows them (50: stap's syscall_string_trunc).
 */
const COMPUTED_VARS: Readonly<Record<string, readonly (readonly [name: string, expr: string])[]>> = {
	execve: [['args', '__get_argv($argv, 0)'], ['env_str', '__get_argv($envp, 0)']],
	execveat: [['args', '__get_argv($argv, 0)'], ['env_str', '__get_argv($envp, 0)']],
	connect: addressParts('$uservaddr', '$addrlen'),
	bind: addressParts('$umyaddr', '$addrlen'),
	sendto: [['buf', 'user_buffer_quoted($buff, $len, 50)'], ['flags_str', '_msg_flags_str($flags)'], ['to_str', '_struct_sockaddr_u($addr, $addr_len)']],
};

/** The family read once; the parts only for the families stap sets them for ("" otherwise). */
function addressParts(addr: string, len: string): (readonly [string, string])[] {
	const inet = (part: string) => `uaddr_af =~ "AF_INET.*" ? _struct_sockaddr_u_${part}(${addr}, ${len}) : ""`;
	const inet6 = (part: string) => `uaddr_af == "AF_INET6" ? _struct_sockaddr_u_${part}(${addr}, ${len}) : ""`;
	return [
		['uaddr_af', `_struct_sockaddr_u_sa_family(${addr}, ${len})`],
		['uaddr_ip', inet('ip_addr')],
		['uaddr_ip_port', inet('tcp_port')],
		['uaddr_ipv6_flowinfo', inet6('ipv6_flowinfo')],
		['uaddr_ipv6_scope_id', inet6('ipv6_scope_id')],
	];
}

function enterAlias(spellings: string[], tp: Tracepoint, aliasName: string, callName: string): string {
	const args = argFields(tp).map(argument);
	const assigns = args.flatMap((a) => a.assign);
	const lines = [`\tname = "${stapName(callName)}"`, ...assigns.map((s) => '\t' + s)];
	const assigned = new Set(assigns.map((s) => s.slice(0, s.indexOf(' ='))));
	// the computed ones before argstr, which may use them (sendto's buf, flags_str, to_str: computed once)
	lines.push(...computedVariables(callName, assigned).map((l) => '\t' + l));
	lines.push(...argstrLines(args, aliasName, callName).map((l) => '\t' + l));
	lines.push(...stapVariables(tp, callName, assigned).map((l) => '\t' + l));
	return `probe ${spellings.join(" = ")} = kernel.trace("syscalls:${tp.name}")\n{\n${lines.join('\n')}\n}\n`;
}

/**
 * How stap's tapset formats a call's return value in retstr (return_str's
 * first argument): addresses in hex, the old mask in octal, else decimal.
 */
const RETSTR_FORMAT: Record<string, number> = { mmap: 2, mremap: 2, umask: 3 };

function exitAlias(spellings: string[], tp: Tracepoint, callName: string): string {
	// retval as stap >= 4.0 sets it (@SYSC_RETVALSTR): scripts such as
	// errsnoop.stp test errno_p(retval).
	return `probe ${spellings.join(" = ")} = kernel.trace("syscalls:${tp.name}")\n{\n`
		+ `\tname = "${stapName(callName)}"\n\tretval = $ret\n`
		+ `\tretstr = return_str(${RETSTR_FORMAT[callName] ?? 1}, $ret)\n}\n`;
}

/** The generated tapset text for the profile's syscalls (empty if it has none). */
export function syscallTapsetText(profile: KernelProfile): string {
	const enter = new Map<string, Tracepoint>();
	const exit = new Map<string, Tracepoint>();
	for (const tp of profile.tracepoints) {
		if (tp.system !== 'syscalls') continue;
		if (tp.name.startsWith('sys_enter_')) enter.set(tp.name.slice('sys_enter_'.length), tp);
		else if (tp.name.startsWith('sys_exit_')) exit.set(tp.name.slice('sys_exit_'.length), tp);
	}
	let out = '// Generated from the target kernel profile\'s syscall tracepoints.\n';
	const names = [...new Set([...enter.keys(), ...Object.keys(ALSO_FIRES_FOR)])].sort();
	for (const name of names) {
		const points = (suffix: string): string[] => SPELLINGS.map((s) => `${s}.${stapName(name)}${suffix}`);
		for (const callName of [name, ...(ALSO_FIRES_FOR[name] ?? [])]) {
			const en = enter.get(callName);
			const ex = exit.get(callName);
			if (en) out += enterAlias(points(''), en, name, callName);
			if (ex) out += exitAlias(points('.return'), ex, callName);
		}
	}
	return out;
}
