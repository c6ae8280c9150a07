// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap_stat.h"
#include "tap_stat_add.h"
#include "tap_format.h"

#define ROW(sd, i) ((sd)->hist[i])

void tap_stat_clear(const struct tap_stat_desc *d, struct tap_stat_data *sd)
{
	unsigned char *p = (unsigned char *)sd;
	size_t i, n = tap_stat_size(d);

	for (i = 0; i < n; i++)
		p[i] = 0;
}

/* 64-bit products that wrap like the kernel's, without signed overflow. */
static __s64 wrap_mul(__s64 a, __s64 b)
{
	return (__s64)((__u64)a * (__u64)b);
}

void tap_stat_aggregate(const struct tap_stat_desc *d, struct tap_stat_data *agg,
			const void *percpu, int n, size_t stride)
{
	const unsigned char *base = percpu;
	int shift = d->bit_shift, i, j;
	__s64 s1 = 0, s2 = 0;

	tap_stat_clear(d, agg);
	for (i = 0; i < n; i++) {
		const struct tap_stat_data *sd = (const void *)(base + i * stride);

		if (!sd->count)
			continue;
		if (agg->count == 0) {
			agg->min = sd->min;
			agg->max = sd->max;
		}
		agg->count += sd->count;
		agg->sum += sd->sum;
		if (sd->max > agg->max)
			agg->max = sd->max;
		if (sd->min < agg->min)
			agg->min = sd->min;
		for (j = 0; j < d->buckets; j++)
			ROW(agg, j) += ROW(sd, j);
	}
	agg->avg_s = tap_div64(agg->sum << shift, agg->count);
	for (i = 0; i < n; i++) {
		const struct tap_stat_data *sd = (const void *)(base + i * stride);
		__s64 dev = sd->avg_s - agg->avg_s;

		if (!sd->count)
			continue;
		s1 += wrap_mul(wrap_mul(sd->count, dev), dev);
		s2 += wrap_mul(sd->count - 1, sd->variance_s);
	}
	agg->variance_s = tap_div64(s1 + s2, agg->count - 1);
	agg->variance = agg->variance_s >> (2 * shift);
}

/* Merges `sd` into `agg` as stap's map.c _new_map_copy_stat does. */
static void merge_pair(const struct tap_stat_desc *d, struct tap_stat_data *agg,
		       const struct tap_stat_data *sd)
{
	int shift = d->bit_shift, j;
	__s64 count1 = agg->count, avg1 = agg->avg_s, dev1, dev2;

	if (!count1) {
		/* the first CPU's accumulator is copied as it is */
		for (j = 0; j < (int)tap_stat_size(d); j++)
			((unsigned char *)agg)[j] = ((const unsigned char *)sd)[j];
		agg->variance = agg->variance_s >> (2 * shift);
		return;
	}
	agg->count += sd->count;
	agg->sum += sd->sum;
	if (sd->min < agg->min)
		agg->min = sd->min;
	if (sd->max > agg->max)
		agg->max = sd->max;
	agg->avg_s = tap_div64(agg->sum << shift, agg->count);
	dev1 = avg1 - agg->avg_s;
	dev2 = sd->avg_s - agg->avg_s;
	agg->variance_s = tap_div64(wrap_mul(wrap_mul(count1, dev1), dev1) +
				    wrap_mul(count1 - 1, agg->variance_s) +
				    wrap_mul(wrap_mul(sd->count, dev2), dev2) +
				    wrap_mul(sd->count - 1, sd->variance_s),
				    agg->count - 1);
	agg->variance = agg->variance_s >> (2 * shift);
	for (j = 0; j < d->buckets; j++)
		ROW(agg, j) += ROW(sd, j);
}

void tap_stat_aggregate_keyed(const struct tap_stat_desc *d, struct tap_stat_data *agg,
			      const void *percpu, int n, size_t stride)
{
	const unsigned char *base = percpu;
	int i;

	tap_stat_clear(d, agg);
	for (i = 0; i < n; i++) {
		const struct tap_stat_data *sd = (const void *)(base + i * stride);

		if (sd->count)
			merge_pair(d, agg, sd);
	}
}

void tap_stat_add(const struct tap_stat_desc *d, struct tap_stat_data *sd,
		  long long val)
{
	int row = tap_stat_bucket(d, val);

	tap_stat_add_moments(sd, val, d->bit_shift);
	if (row >= 0 && row < d->buckets)
		ROW(sd, row)++;
}

long long tap_stat_avg(const struct tap_stat_data *agg)
{
	return tap_div64(agg->sum, agg->count);
}

long long tap_stat_bucket_value(const struct tap_stat_desc *d, int row)
{
	if (d->type == TAP_HIST_LINEAR) {
		if (row == 0)
			return d->start;
		if (row == d->buckets - 1)
			return d->start + (long long)(row - 2) * d->interval;
		return d->start + (long long)(row - 1) * d->interval;
	}
	if (row == TAP_HIST_LOG_BUCKET0)
		return 0;
	if (row < TAP_HIST_LOG_BUCKET0)
		/* stap: (int64_t)0x8000000000000000 >> row, arithmetic */
		return row == 0 ? (long long)(-0x7fffffffffffffffLL - 1) :
		       -(1LL << (63 - row));
	return 1LL << (row - TAP_HIST_LOG_BUCKET0 - 1);
}

/* Characters needed to print v in decimal (stap's needed_space). */
static int needed_space(long long v)
{
	unsigned long long t;
	int space = 0;

	if (v == 0)
		return 1;
	if (v < 0) {
		space++;
		t = 0 - (unsigned long long)v;
	} else {
		t = v;
	}
	while (t) {
		t /= 10;
		space++;
	}
	return space;
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* printf("%*s%lld |") and friends through the stap formatter. */
static void put_fmt(struct tap_buf *o, const char *fmt, long long a,
		    const char *s, long long b)
{
	struct tap_value v[3] = { { a, NULL }, { 0, s }, { b, NULL } };

	tap_format(o, TAP_STREAM_FIELD_MAX, fmt, v, 3);
}

void tap_stat_print_hist(struct tap_buf *o, const struct tap_stat_desc *d,
			 const struct tap_stat_data *sd)
{
	tap_stat_print_hist_style(o, d, sd, HIST_WIDTH, HIST_ELISION);
}

void tap_stat_print_hist_style(struct tap_buf *o, const struct tap_stat_desc *d,
			       const struct tap_stat_data *sd, int width,
			       int elision)
{
	int low = -1, high = 0, over = 0, under = 0, eliding = 0;
	int i, j, scale, val_space, cnt_space, nb = d->buckets;
	long long valmax = 0, v;

	if (d->type != TAP_HIST_LOG && d->type != TAP_HIST_LINEAR)
		return;
	for (i = 0; i < nb; i++) {
		if (ROW(sd, i) > 0 && low == -1)
			low = i;
		if (ROW(sd, i) > 0)
			high = i;
		if (ROW(sd, i) > valmax)
			valmax = ROW(sd, i);
	}
	/* up to two empty rows either side of the data */
	for (i = 0; i < 2; i++) {
		if (d->type == TAP_HIST_LOG) {
			if (low != TAP_HIST_LOG_BUCKET0 && low > 0)
				low--;
		} else if (low > 0) {
			low--;
		}
		if (high < nb - 1)
			high++;
	}
	if (d->type == TAP_HIST_LINEAR) {
		if (low == 0 && ROW(sd, 0) == 0)
			low++;
		if (high == nb - 1 && ROW(sd, high) == 0)
			high--;
		under = low == 0;
		over = high == nb - 1;
	}
	scale = valmax <= width ? 1 :
		(int)(valmax / width + (valmax % width ? 1 : 0));
	cnt_space = needed_space(valmax);
	if (d->type == TAP_HIST_LINEAR)
		val_space = max_int(needed_space(d->start) + under,
				    needed_space(d->start + (long long)d->interval * high) + over);
	else
		val_space = max_int(needed_space(tap_stat_bucket_value(d, high)),
				    needed_space(tap_stat_bucket_value(d, low)));
	val_space = max_int(val_space, 5);

	put_fmt(o, "%*s |", val_space, "value", 0);
	tap_buf_fill(o, '-', width);
	tap_buf_puts(o, " count\n");
	for (i = low; i <= high; i++) {
		const char *prefix = "";

		if (elision >= 0) {
			int k, elide = 1;
			int max_elide = elision < nb ? elision : nb;
			int lo = i - max_elide > low ? i - max_elide : low;
			int hi = i + max_elide < high ? i + max_elide : high;

			for (k = lo; k <= hi; k++)
				if (ROW(sd, k) != 0)
					elide = 0;
			if (elide) {
				eliding = 1;
				continue;
			}
			if (eliding) {
				put_fmt(o, "%*s ~\n", val_space, "", 0);
				eliding = 0;
			}
		}
		if (d->type == TAP_HIST_LINEAR && i == 0)
			prefix = "<";
		else if (d->type == TAP_HIST_LINEAR && i == nb - 1)
			prefix = ">";
		v = tap_stat_bucket_value(d, i);
		put_fmt(o, "%*s%lld |", val_space - needed_space(v), prefix, v);
		v = ROW(sd, i) / scale;
		for (j = 0; j < v; j++)
			tap_buf_putc(o, '@');
		{
			struct tap_value cnt[2] = {
				{ width - v + 1 + cnt_space, NULL },
				{ ROW(sd, i), NULL },
			};

			tap_format(o, TAP_STREAM_FIELD_MAX, "%*lld\n", cnt, 2);
		}
	}
	tap_buf_putc(o, '\n');
}

int tap_stat_linear_buckets(long start, long stop, long interval,
			    char *msg, size_t msgsize)
{
	struct tap_buf b;
	long buckets;

	tap_buf_init_string(&b, msg, msgsize);
	if (interval == 0) {
		tap_buf_puts(&b, "histogram: interval cannot be zero.\n");
		tap_buf_end_string(&b);
		return 0;
	}
	buckets = (stop - start) / interval + 3;
	if (buckets > TAP_HIST_MAX_BUCKETS || buckets < 3) {
		struct tap_value v = { TAP_HIST_MAX_BUCKETS - 2, NULL };

		tap_format(&b, (long)msgsize,
			   "histogram: Number of buckets must be between 1 and %d\n"
			   "Number_of_buckets = (stop - start) / interval.\n"
			   "Please adjust your start, stop, and interval values.\n",
			   &v, 1);
		tap_buf_end_string(&b);
		return 0;
	}
	tap_buf_end_string(&b);
	return (int)buckets;
}
