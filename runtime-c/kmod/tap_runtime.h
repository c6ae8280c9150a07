/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime API for the kmod runtime: the generated C and this runtime
 * are compiled together by kbuild into one kernel module (docs/kmod.md).
 * Both sides are in the one compilation: session probes (begin, end,
 * error) run in a kernel worker, kernel-side probes (kprobes, kretprobes,
 * tracepoints, hrtimers) run wherever the kernel hits them, with
 * preemption off and one context per CPU.
 */
#ifndef TAP_RUNTIME_H
#define TAP_RUNTIME_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include "tap_limits.h"
#include "tap_abi.h"
#include "tap_arith.h"
#include "tap_context.h"
#include "tap_module.h"
#include "tap_stat.h"
#include "tap_stat_add.h"
#include "tap_decl.h"

#define TAP_SIDE_KERNEL 1
#define TAP_SIDE_USER 1

/*
 * Handler locals live in static per-CPU slots (the kernel's per-CPU area
 * for modules is only a few KiB); slot TAP_MAX_CPUS belongs to the
 * session probes. A module refuses to load on a machine with more
 * possible CPUs than this (build with -DTAP_MAX_CPUS=N).
 */
#ifndef TAP_MAX_CPUS
#define TAP_MAX_CPUS 64
#endif

typedef __s64 tap_long;
typedef char tap_string[MAXSTRINGLEN];

/* ---- declarations the generator emits ---- */

#define TAP_GLOBALS(type) \
	typedef type tap_globals_type; \
	static tap_globals_type tap_globals_var
#define TAP_GLOBALS_GET() tap_globals_ptr(&tap_globals_var)
static inline void *tap_globals_ptr(void *g)
{
	return g;	/* a function: `if (!G)` stays warning-free */
}

/* Arrays are hash tables the runtime builds at load for every entry of
 * the descriptor's maps[]; `fd` becomes the table's index there. */
#define TAP_ARRAY(name, ktype, vtype, size) \
	static struct tap_map name = { #name, sizeof(ktype), sizeof(vtype), \
				       (size), NULL, -1 }

/* A statistic: per entry, one accumulator per CPU, combined when read. */
#define TAP_STATS(name, ktype, size) \
	static struct tap_map name = { #name, sizeof(ktype), \
				       sizeof(struct name##_value), (size), \
				       &name##_desc, -1 }

int tap_locals_slot(void);
#define TAP_LOCALS(probe, type) \
	static type probe##_locals[TAP_MAX_CPUS + 1]
#define TAP_LOCALS_GET(probe) (&probe##_locals[tap_locals_slot()])

/* The module descriptor; the runtime refers to it by this name. */
#define TAP_MODULE const struct tap_module tap_module

/* ---- the probe's own context (kernel-side probes) ---- */

/* kernel.function(...) / .return: the registers at the probe point. */
struct pt_regs *tap_regs(struct tap_context *c);
/* $return of a .return probe. */
tap_long tap_return_value(struct tap_context *c);
/* Argument i (0..5) of a tracepoint, as the tracepoint passed it. */
tap_long tap_tp_arg(struct tap_context *c, int i);
/*
 * A "trace_event/SYS/EVT" probe: the event's record, laid out as its
 * format file says (the fields' offsets count from the common header).
 */
const void *tap_tp_record(struct tap_context *c);

/* ---- errors, exit ---- */

void tap_exit(struct tap_context *c);
void tap_abort(struct tap_context *c);
void tap_error_user(struct tap_context *c, const char *msg);
void tap_warn(struct tap_context *c, const char *msg);
/* target(): the pid taprun was given with -x, else 0 */
tap_long tap_target(void);
tap_long tap_stp_pid(void);
void tap_tokenize(struct tap_context *c, char *dst, const char *input, const char *delim);
void tap_error_message(struct tap_context *c, char *dst);

/* ---- output ---- */

void *tap_printf_reserve(struct tap_context *c, __u32 fmt, __u32 size);
void tap_printf_submit(struct tap_context *c, void *args);
void tap_sprintf_submit(struct tap_context *c, char *dst, void *args);

static inline void tap_arg_long(void *args, __u32 off, tap_long v)
{
	memcpy((char *)args + off, &v, sizeof(v));
}

static inline void tap_arg_str(void *args, __u32 off, const char *s)
{
	strscpy((char *)args + off, s, MAXSTRINGLEN);
}

void tap_print_hist(struct tap_context *c, const struct tap_stat_desc *d,
		    const void *agg);

/* ---- strings ---- */

static inline void tap_str_copy(char *dst, const char *src)
{
	if (dst != src)
		strscpy(dst, src, MAXSTRINGLEN);
}

static inline tap_long tap_str_len(const char *s)
{
	return (tap_long)strnlen(s, MAXSTRINGLEN - 1);
}

static inline int tap_str_cmp(const char *a, const char *b)
{
	int r = strncmp(a, b, MAXSTRINGLEN);

	return r < 0 ? -1 : r > 0;
}

/* a key's string member (n bytes, NUL-terminated) against a string */
static inline int tap_str_ncmp(const char *a, const char *b, int n)
{
	int r = strncmp(a, b, n);

	return r < 0 ? -1 : r > 0;
}

static inline void tap_str_append(char *dst, const char *src)
{
	size_t len = strnlen(dst, MAXSTRINGLEN - 1);

	strscpy(dst + len, src, MAXSTRINGLEN - len);
}

#include "tap_procfs.h"
#include "tap_errno.h"
#include "tap_syscall_name.h"
#include "tap_ctime.h"

/* Fault-safe copies; non-zero on a fault (raise TAP_E_STRING). */
int tap_user_string(char *dst, const void *uaddr);
int tap_kernel_string(char *dst, const void *kaddr);

/* ---- context functions (session probes: the worker, as stap's) ---- */

/* kernel stacks (kmod_stack.c) */
void tap_print_backtrace(struct tap_context *c);
void tap_backtrace(struct tap_context *c, char *dst);
void tap_sprint_backtrace(struct tap_context *c, char *dst);
int tap_callers(struct tap_context *c, char *dst, tap_long n);
int tap_stack_at(struct tap_context *c, tap_long n, tap_long *addr);

/* user stacks (kmod_ustack.c), named through the symbol tables the module carries */
struct tap_usym {
	unsigned long start, size;	/* file offsets */
	const char *name;
};

struct tap_ufile {
	const char *path;		/* as the probed task maps it */
	const struct tap_usym *syms;	/* sorted by start */
	unsigned int n;
};

/*
 * The generated code defines `const struct tap_ufile tap_kmod_ufiles[]` and
 * `const unsigned int tap_kmod_nufiles` (kmod_ustack.c reads them; a module
 * without them names no user frame by symbol).
 */
/* Called first by a uprobe's handler at a function's entry: its frame is not made yet. */
void tap_ustack_at_function_entry(struct tap_context *c);
void tap_print_ubacktrace(struct tap_context *c, int brief);
void tap_ubacktrace(struct tap_context *c, char *dst);
int tap_ucallers(struct tap_context *c, char *dst, tap_long n);
int tap_ustack_at(struct tap_context *c, tap_long n, tap_long *addr);
void tap_sprint_ubacktrace(struct tap_context *c, char *dst);
void tap_print_ustack(struct tap_context *c, const char *stk);
void tap_sprint_ustack(char *dst, const char *stk);
void tap_usymname(char *dst, tap_long addr);
void tap_usymdata(char *dst, tap_long addr);
int tap_umodname(char *dst, tap_long addr);
void tap_print_stack(struct tap_context *c, const char *stk);
/* system(cmd): a "system" line on the error channel; taprun runs the command */
void tap_system(struct tap_context *c, const char *cmd);
/* printk(level, msg): the module's own printk, at level (0-7) */
void tap_printk(struct tap_context *c, tap_long level, const char *msg);
void tap_sprint_stack(char *dst, const char *stk);
void tap_symdata(char *dst, tap_long addr);
int tap_modname(char *dst, tap_long addr);

void tap_execname(char *dst);
tap_long tap_pid(void);
tap_long tap_tid(void);
tap_long tap_uid(void);
tap_long tap_gid(void);
tap_long tap_cpu(void);
tap_long tap_gettimeofday_ns(void);
/* task_*(task): fields of the task_struct at a script's address, fault-safe (0 or "") */
tap_long tap_task_current(void);
/* addr(): the probe's registers' instruction pointer (0 without registers); uaddr(): the task's user one */
tap_long tap_addr(struct tap_context *c);
/* user_mode(): 1 where the probe's registers are user space's (uprobes, samples taken there) */
tap_long tap_user_mode(struct tap_context *c);
tap_long tap_uaddr(void);
tap_long tap_tz_gmtoff(void);
void tap_tz_name(char *dst);
tap_long tap_task_parent(tap_long t);
/* pid2task(pid): the task with that pid (the initial namespace's numbering), 0 for none */
tap_long tap_pid2task(tap_long pid);
tap_long tap_task_pid(tap_long t);
tap_long tap_task_tid(tap_long t);
tap_long tap_task_ppid(tap_long t);
tap_long tap_task_uid(tap_long t);
tap_long tap_task_gid(tap_long t);
void tap_task_execname(char *dst, tap_long t);
tap_long tap_task_state(tap_long t);
tap_long tap_task_prio(tap_long t);
tap_long tap_task_nice(tap_long t);
tap_long tap_task_cpu(tap_long t);

/* kernel_long(addr) and its kin: non-zero on a fault (the caller raises stap's error), *dst 0 then */
#define TAP_KERNEL_READ(type, addr, dst) ({ \
	type v_ = 0; \
	long r_ = copy_from_kernel_nofault(&v_, (const void *)(unsigned long)(addr), sizeof(v_)); \
	*(dst) = r_ ? 0 : (tap_long)v_; \
	r_ != 0; })

/* a uprobe's user register (an SDT marker's argument): struct pt_regs field */
#define TAP_UREG(field) (tap_regs(c)->field)

/*
 * int_arg() and its kin: a field of the current task's saved user registers
 * (a system call's arguments, a probed user function's), or of a kprobe's
 * registers (a kernel function's).
 */
#define TAP_TASK_UREG(field) (task_pt_regs(current)->field)
#define TAP_KREG(field) (tap_regs(c)->field)

/* user_long_error(addr) and its kin: nonzero where it cannot be read, *dst 0 */
#define TAP_USER_READ_CHECKED(type, addr, dst) ({ \
	type v_ = 0; \
	long r_ = copy_from_user_nofault(&v_, (const void __user *)(unsigned long)(addr), sizeof(v_)); \
	*(dst) = r_ ? 0 : (tap_long)v_; \
	r_ != 0; })

/* user_long(addr) and its kin: 0 where the memory cannot be read, as stap */
#define TAP_USER_READ(type, addr) ({ \
	tap_long u_; \
	TAP_USER_READ_CHECKED(type, addr, &u_); \
	u_; })

#include "tap_api.h"

#endif /* TAP_RUNTIME_H */
