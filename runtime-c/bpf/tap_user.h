/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime API, user side of the bpf runtime: what begin, end, error and
 * timer probes (and sorted foreach, statistics reading, histogram printing)
 * compile against. The generated user part is a shared object; taprun
 * implements these functions and exports them to it.
 */
#ifndef TAP_USER_H
#define TAP_USER_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <linux/perf_event.h>	/* PERF_* in probe descriptors */
#include "tap_limits.h"
#include "tap_abi.h"
#include "tap_arith.h"
#include "tap_context.h"
#include "tap_module.h"
#include "tap_stat.h"
#include "tap_strings.h"

#define TAP_KEY_STR(dst, src) \
	(memset((dst), 0, sizeof(dst)), \
	 (void)strncpy((dst), (src), sizeof(dst) - 1))
#include "tap_decl.h"

#define TAP_SIDE_KERNEL 0
#define TAP_SIDE_USER 1

typedef __s64 tap_long;
typedef char tap_string[MAXSTRINGLEN];

/* ---- declarations the generator emits ---- */

/* Scalar globals live in the kernel side's mmap-ed map; G points there. */
#define TAP_GLOBALS(type) typedef type tap_globals_type
#define TAP_GLOBALS_GET() ((tap_globals_type *)tap_globals_ptr_get())
void *tap_globals_ptr_get(void);

#define TAP_ARRAY(name, ktype, vtype, size) \
	static struct tap_map name = { #name, sizeof(ktype), sizeof(vtype), \
				       (size), NULL, -1 }

#define TAP_STATS(name, ktype, size) \
	static struct tap_map name = { #name, sizeof(ktype), \
				       sizeof(struct name##_value), (size), \
				       &name##_desc, -1 }

/*
 * Kernel memory from a user-side probe (kernel_string(), kernel_long(),
 * @cast): taprun runs the module's reader program (tap_kernel.h,
 * TAP_USER_KREAD). As on the kernel side: nonzero on a fault, *fault the
 * address.
 */
int tap_member_read(__u64 addr, const __s64 *steps, int n, void *dst, int size,
		    int is_signed, tap_long *fault);
int tap_kernel_string(char *dst, const void *kaddr);
#define TAP_KERNEL_READ(type, addr, dst) ({ \
	tap_long v_ = 0, f_; \
	int r_ = tap_member_read((__u64)(unsigned long)(addr), (const __s64[]){ 0 }, 1, \
				 &v_, sizeof(type), ((type)-1) < 0, &f_); \
	*(dst) = r_ ? 0 : v_; \
	r_ != 0; })

/* Locals of a user-side probe: user-side probes never run concurrently. */
#define TAP_LOCALS(probe, type) static type probe##_locals
#define TAP_LOCALS_GET(probe) (&probe##_locals)

/*
 * Exports the module descriptor under the name taprun looks for, and the
 * limits this compilation used (taprun sizes records and buffers by them).
 */
#define TAP_MODULE \
	__attribute__((visibility("default"))) \
	const struct tap_build_limits tap_build_limits = { \
		MAXSTRINGLEN, MAXACTION_INTERRUPTIBLE, HIST_WIDTH, \
		HIST_ELISION, MAXMAPENTRIES, MAXERRORS, MAXSKIPPED, 0 }; \
	__attribute__((visibility("default"))) \
	const struct tap_module tap_module

/* ---- errors, exit ---- */

void tap_exit(struct tap_context *c);
void tap_abort(struct tap_context *c);
/* pp(): the probe point of the running handler, from the probe table */
const char *tap_pp(struct tap_context *c);
void tap_error_user(struct tap_context *c, const char *msg);
void tap_warn(struct tap_context *c, const char *msg);
/* The bare message of the current error (a catch variable's value). */
void tap_error_message(struct tap_context *c, char *dst);

/* ---- output ---- */

void *tap_printf_reserve(struct tap_context *c, __u32 fmt, __u32 size);
void tap_printf_submit(struct tap_context *c, void *args);
/* sprintf: format `fmt` with the arguments in `args` into a string. */
void tap_sprintf_submit(struct tap_context *c, char *dst, void *args);

static inline void tap_arg_long(void *args, __u32 off, tap_long v)
{
	memcpy((char *)args + off, &v, sizeof(v));
}

static inline void tap_arg_str(void *args, __u32 off, const char *s)
{
	strncpy((char *)args + off, s, MAXSTRINGLEN - 1);
	((char *)args)[off + MAXSTRINGLEN - 1] = '\0';
}

/* print(@hist_log(s)) / print(@hist_linear(...)) of an aggregate */
void tap_print_hist(struct tap_context *c, const struct tap_stat_desc *d,
		    const void *agg);

/* Same call as on the kernel side; on the user side print at once. */
#define TAP_PRINT_HIST(c, s, map_index, k) \
	tap_print_hist_key(c, &(s), (k))
void tap_print_hist_key(struct tap_context *c, struct tap_map *m, const void *k);

/* ---- strings ---- */

static inline void tap_str_copy(char *dst, const char *src)
{
	if (dst == src)
		return;
	strncpy(dst, src, MAXSTRINGLEN - 1);
	dst[MAXSTRINGLEN - 1] = '\0';
}

static inline tap_long tap_str_len(const char *s)
{
	return (tap_long)strnlen(s, MAXSTRINGLEN - 1);
}

/* Strings are always NUL-terminated within their buffer (also key strings). */
static inline int tap_str_cmp(const char *a, const char *b)
{
	int r = strcmp(a, b);

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

	strncpy(dst + len, src, MAXSTRINGLEN - 1 - len);
	dst[MAXSTRINGLEN - 1] = '\0';
}

#include "tap_procfs.h"
#include "tap_errno.h"
#include "tap_syscall_name.h"
#include "tap_ctime.h"

/* ---- context functions (of taprun itself, as stap's begin probes) ---- */

void tap_execname(char *dst);
tap_long tap_pid(void);
tap_long tap_tid(void);
tap_long tap_uid(void);
tap_long tap_gid(void);
tap_long tap_cpu(void);
tap_long tap_gettimeofday_ns(void);
tap_long tap_target(void);
tap_long tap_tz_gmtoff(void);
void tap_tz_name(char *dst);
tap_long tap_stp_pid(void);
void tap_print_ustack(const char *stk);
void tap_tokenize(char *dst, const char *input, const char *delim);
void tap_sprint_ustack(char *dst, const char *stk);
/* symdata(), modname(): a kernel address's symbol, offset, size and module through /proc/kallsyms */
void tap_symdata(char *dst, tap_long addr);
int tap_modname(char *dst, tap_long addr);
/* print_stack(), sprint_stack(): a backtrace()'s kernel addresses, named through /proc/kallsyms */
void tap_print_stack(const char *stk);
void tap_sprint_stack(char *dst, const char *stk);
/* system(cmd): started in the background under /bin/sh -c (user_system.c) */
void tap_system(const char *cmd);
/* printk(level, msg): a line of the kernel log, through /dev/kmsg (user_kmsg.c) */
void tap_printk(tap_long level, const char *msg);

#include "tap_api.h"

#endif /* TAP_USER_H */
