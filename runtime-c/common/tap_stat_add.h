/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Adding one value to a statistic accumulator (`s <<< v`). Inline so that
 * the kernel side (BPF, kmod) and the user side share one definition. The
 * arithmetic is stap's (runtime/stat-common.c __stp_stat_add): Welford's
 * update with a 32-bit delta, log2 buckets, linear buckets with under- and
 * overflow rows.
 */
#ifndef TAP_STAT_ADD_H
#define TAP_STAT_ADD_H

#include "tap_abi.h"
#include "tap_arith.h"

/* Log2 bucket of a value: 64 for 0, 65.. for positives, ..63 for negatives. */
static inline int tap_hist_log_bucket(__s64 sval)
{
	__u64 val = (__u64)sval;
	int neg = 0, res = TAP_HIST_LOG_BUCKETS;

	if (sval == 0)
		return TAP_HIST_LOG_BUCKET0;
	if (sval < 0) {
		val = (__u64)0 - val;
		neg = 1;
	}
	if (val & 0xffffffffffff0000ull) {
		if (!(val & 0xffffffff00000000ull)) {
			val <<= 32;
			res -= 32;
		}
		if (!(val & 0xffff000000000000ull)) {
			val <<= 16;
			res -= 16;
		}
	} else {
		val <<= 48;
		res -= 48;
	}
	if (!(val & 0xff00000000000000ull)) {
		val <<= 8;
		res -= 8;
	}
	if (!(val & 0xf000000000000000ull)) {
		val <<= 4;
		res -= 4;
	}
	if (!(val & 0xc000000000000000ull)) {
		val <<= 2;
		res -= 2;
	}
	if (!(val & 0x8000000000000000ull)) {
		val <<= 1;
		res -= 1;
	}
	return neg ? TAP_HIST_LOG_BUCKETS - res : res;
}

/* Row of a linear histogram: 0 underflow, buckets-1 overflow. */
static inline int tap_hist_linear_bucket(const struct tap_stat_desc *d, __s64 val)
{
	__s64 n;

	val -= d->start;
	if (val < 0)
		n = 0;
	else
		n = (__s64)((__u64)val / (__u64)d->interval) + 1;
	if (n >= d->buckets - 1)
		n = d->buckets - 1;
	return (int)n;
}

/* The bucket `val` falls in, or -1 when the statistic has no histogram. */
static inline int tap_stat_bucket(const struct tap_stat_desc *d, __s64 val)
{
	int n;

	if (d->type == TAP_HIST_LOG) {
		n = tap_hist_log_bucket(val);
		return n >= d->buckets ? d->buckets - 1 : n;
	}
	if (d->type == TAP_HIST_LINEAR)
		return tap_hist_linear_bucket(d, val);
	return -1;
}

/* Everything but the histogram row, which the caller bumps (bounds!). */
static inline void tap_stat_add_moments(struct tap_stat_data *sd, __s64 val,
					int shift)
{
	int delta;	/* an int, exactly as in stap */

	if (sd->count == 0) {
		sd->count = 1;
		sd->sum = sd->min = sd->max = val;
		sd->avg_s = val << shift;
		sd->m2 = 0;
		return;
	}
	sd->count++;
	sd->sum += val;
	if (val > sd->max)
		sd->max = val;
	if (val < sd->min)
		sd->min = val;
	delta = (int)((val << shift) - sd->avg_s);
	sd->avg_s += tap_div64(delta, sd->count);
	sd->m2 += (__s64)delta * ((val << shift) - sd->avg_s);
	sd->variance_s = sd->count < 2 ? -1 : tap_div64(sd->m2, sd->count - 1);
}

#endif /* TAP_STAT_ADD_H */
