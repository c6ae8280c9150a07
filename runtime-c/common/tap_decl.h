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
 * The string in a key: zero-filled to its end, since keys hash as bytes,
 * truncated to MAP_STRING_LENGTH - 1 characters. A runtime may define its
 * own (bpf does); this one suits MAP_STRING_LENGTH == MAXSTRINGLEN.
 */
#ifndef TAP_KEY_STR
#define TAP_KEY_STR(dst, src) \
	(__builtin_memset((dst), 0, MAXSTRINGLEN), tap_str_copy((dst), (src)))
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
