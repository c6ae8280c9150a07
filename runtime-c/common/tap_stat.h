/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Statistics on the reading side: combining per-CPU accumulators, the
 * derived values (@avg, @variance) and histogram printing, all as stap's
 * runtime/stat.c and stat-common.c compute and print them.
 */
#ifndef TAP_STAT_H
#define TAP_STAT_H

#include <stddef.h>
#include <linux/types.h>
#include "tap_abi.h"
#include "tap_buf.h"

/* Bytes of one accumulator, histogram included. */
static inline size_t tap_stat_size(const struct tap_stat_desc *d)
{
	return sizeof(struct tap_stat_data) + (size_t)d->buckets * sizeof(__s64);
}

/* Clears an accumulator (all of tap_stat_size bytes). */
void tap_stat_clear(const struct tap_stat_desc *d, struct tap_stat_data *sd);

/*
 * Combines `n` per-CPU accumulators laid out `stride` bytes apart into
 * `agg`, computing @variance with stap's total-variance formula.
 */
void tap_stat_aggregate(const struct tap_stat_desc *d, struct tap_stat_data *agg,
			const void *percpu, int n, size_t stride);

/*
 * The same for an element of a statistics array: stap's map.c merges the
 * CPUs' accumulators pairwise, in CPU order (the first copied as it is), so
 * its @variance rounds differently from the scalars' one-shot formula.
 */
void tap_stat_aggregate_keyed(const struct tap_stat_desc *d, struct tap_stat_data *agg,
			      const void *percpu, int n, size_t stride);

/* Adds one value (user-side `s <<< v`). */
void tap_stat_add(const struct tap_stat_desc *d, struct tap_stat_data *sd,
		  long long val);

/* @avg: sum / count (count must be non-zero: else "empty aggregate"). */
long long tap_stat_avg(const struct tap_stat_data *agg);

/* print(@hist_log(s)) / print(@hist_linear(s, ...)): exact stap layout. */
void tap_stat_print_hist(struct tap_buf *o, const struct tap_stat_desc *d,
			 const struct tap_stat_data *agg);
/* The same with HIST_WIDTH and HIST_ELISION given (a module's values). */
void tap_stat_print_hist_style(struct tap_buf *o, const struct tap_stat_desc *d,
			       const struct tap_stat_data *agg, int width,
			       int elision);

/*
 * The value a histogram row stands for (foreach over @hist_* buckets, and
 * @hist_log(s)[i]); `row` must be within 0..d->buckets-1.
 */
long long tap_stat_bucket_value(const struct tap_stat_desc *d, int row);

/*
 * Checks linear histogram parameters as stap's _stp_stat_calc_buckets does;
 * writes stap's warning text into `msg` and returns 0 when they are bad,
 * else the number of buckets.
 */
int tap_stat_linear_buckets(long start, long stop, long interval,
			    char *msg, size_t msgsize);

#endif /* TAP_STAT_H */
