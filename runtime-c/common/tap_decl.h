/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Declarations the generator emits that mean the same in every runtime. */
#ifndef TAP_DECL_H
#define TAP_DECL_H

#include "tap_abi.h"

/* What a statistic collects: TAP_HIST_NONE/LOG/LINEAR and parameters. */
#define TAP_STAT_DESC(name, htype, start, stop, interval, buckets, shift) \
	static const struct tap_stat_desc name##_desc = { \
		htype, start, stop, interval, buckets, shift }

/* The per-CPU accumulator type of statistic `name` (and its aggregate). */
#define TAP_STAT_VALUE(name, buckets) \
	struct name##_value { __s64 w[8 + ((buckets) ? (buckets) : 1)]; }

/* A string member of an array key (MAP_STRING_LENGTH bytes). */
typedef char tap_key_string[MAP_STRING_LENGTH];

/*
 * A string member of an array key that only ever holds a task's name
 * (every key of that column is execname() and the like, pass 3 finds):
 * TASK_COMM_LEN bytes, so that such keys hash 16 bytes, not 512.
 */
typedef char tap_comm_key[16];

/*
 * The string in a key: zero-filled to its end, since keys hash as bytes,
 * truncated to fit its member (dst: a key member's array). A runtime may
 * define its own (bpf does).
 */
#ifndef TAP_KEY_STR
#define TAP_KEY_STR(dst, src) \
	(__builtin_memset((dst), 0, sizeof(dst)), \
	 (void)__builtin_strncpy((dst), (src), sizeof(dst) - 1))
#endif

/*
 * Before an array key is filled: zero it, so that the bytes it does not
 * set (none between members; after a string's end TAP_KEY_STR zeroes) hash
 * the same every time. A runtime may define its own (bpf does).
 */
#ifndef TAP_KEY_CLEAR
#define TAP_KEY_CLEAR(key) __builtin_memset(&(key), 0, sizeof(key))
#endif

#endif /* TAP_DECL_H */
