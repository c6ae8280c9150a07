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
	(memset((dst), 0, MAP_STRING_LENGTH), \
	 (void)strncpy((dst), (src), MAP_STRING_LENGTH - 1))
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

static inline void tap_str_append(char *dst, const char *src)
{
	size_t len = strnlen(dst, MAXSTRINGLEN - 1);

	strncpy(dst + len, src, MAXSTRINGLEN - 1 - len);
	dst[MAXSTRINGLEN - 1] = '\0';
}

/* ---- context functions (of taprun itself, as stap's begin probes) ---- */

void tap_execname(char *dst);
tap_long tap_pid(void);
tap_long tap_tid(void);
tap_long tap_uid(void);
tap_long tap_gid(void);
tap_long tap_cpu(void);
tap_long tap_gettimeofday_ns(void);
tap_long tap_target(void);

/* ---- arrays ---- */

int tap_map_get(struct tap_map *m, const void *k, void *v);
int tap_map_set(struct tap_map *m, const void *k, const void *v);
int tap_map_add(struct tap_map *m, const void *k, tap_long delta, tap_long *res);
int tap_map_exists(struct tap_map *m, const void *k);
void tap_map_delete(struct tap_map *m, const void *k);
void tap_map_clear(struct tap_map *m);

#define TAP_MAP_GET(m, k, v) tap_map_get(&(m), (k), (v))
#define TAP_MAP_SET(m, k, v) tap_map_set(&(m), (k), (v))
#define TAP_MAP_ADD(m, k, delta, res) tap_map_add(&(m), (k), (delta), (res))
#define TAP_MAP_EXISTS(m, k) tap_map_exists(&(m), (k))
#define TAP_MAP_DELETE(m, k) tap_map_delete(&(m), (k))
#define TAP_MAP_CLEAR(m) tap_map_clear(&(m))

/* ---- statistics ---- */

int tap_stat_add_key(struct tap_map *m, const void *k, tap_long val);
/* Aggregate over CPUs into *agg (a struct NAME_value); 0 when no values. */
int tap_stat_get(struct tap_map *m, const void *k, void *agg);

#define TAP_STAT_ADD(s, k, val) tap_stat_add_key(&(s), (k), (val))
#define TAP_STAT_GET(s, k, agg) tap_stat_get(&(s), (k), (agg))
#define TAP_AGG(agg) ((struct tap_stat_data *)(void *)(agg))

/* ---- foreach ---- */

/*
 * A snapshot of an array for foreach: entries are key bytes followed by
 * value bytes (statistics: the aggregate), sorted by `cmp` when non-NULL
 * (return <0, 0, >0 like strcmp; the generator composes +/- and columns),
 * at most `limit` of them when limit > 0.
 */
struct tap_iter {
	char *entries;
	size_t entry_size, key_size, count, next;
};

typedef int (*tap_entry_cmp)(const void *ka, const void *va,
			     const void *kb, const void *vb);

int tap_foreach_begin(struct tap_iter *it, struct tap_map *m,
		      tap_entry_cmp cmp, tap_long limit);
/* Copies the next key and value out; 0 at the end. */
int tap_foreach_next(struct tap_iter *it, void *k, void *v);
void tap_foreach_end(struct tap_iter *it);

/* Comparison helpers for generated comparators. */
static inline int tap_cmp_long(tap_long a, tap_long b)
{
	return a < b ? -1 : a > b;
}


#endif /* TAP_USER_H */
