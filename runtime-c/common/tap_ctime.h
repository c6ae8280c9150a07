/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctime(secs): "Thu Jan  1 00:00:00 1970" (UTC), as stap's ctime tapset,
 * for secs in [TAP_CTIME_MIN, TAP_CTIME_MAX] (the caller raises stap's
 * error outside it). The date comes from days since 0000-03-01 in unsigned
 * arithmetic without loops (H. Hinnant's civil_from_days), which suits the
 * BPF verifier and clang's BPF target (no signed division) as well as user
 * space and kmod. Each runtime formats the parts (tap_ctime).
 */
#ifndef TAP_CTIME_H
#define TAP_CTIME_H

#include "tap_limits.h"

#define TAP_CTIME_MIN (-2147483647LL - 1)
#define TAP_CTIME_MAX 2147483647LL

struct tap_tm {
	__u32 year, mon, mday, wday, hour, min, sec;
};

static inline void tap_ctime_parts(__s64 secs, struct tap_tm *tm)
{
	/* secs + 24856 days: never negative for secs >= TAP_CTIME_MIN */
	__u64 v = (__u64)(secs + 24856LL * 86400);
	__u64 days = v / 86400, rem = v % 86400;
	/* days from 0000-03-01 to the date: 1970-01-01 is 719468 */
	__u64 z = days - 24856 + 719468;
	__u64 era = z / 146097, doe = z - era * 146097;
	__u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	__u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	__u64 mp = (5 * doy + 2) / 153;
	__u64 m = mp < 10 ? mp + 3 : mp - 9;

	tm->year = yoe + era * 400 + (m <= 2);
	tm->mon = m - 1;
	tm->mday = doy - (153 * mp + 2) / 5 + 1;
	tm->wday = (days + 5) % 7; /* 1970-01-01 was a Thursday (4) */
	tm->hour = rem / 3600;
	tm->min = rem % 3600 / 60;
	tm->sec = rem % 60;
}

#define TAP_CTIME_DAYS "SunMonTueWedThuFriSat"
#define TAP_CTIME_MONTHS "JanFebMarAprMayJunJulAugSepOctNovDec"

#ifndef __bpf__
/* User space and kmod (whose headers declare snprintf): stap's own format line. */
static inline void tap_ctime(char *dst, __s64 secs)
{
	struct tap_tm tm;

	tap_ctime_parts(secs, &tm);
	snprintf(dst, MAXSTRINGLEN, "%.3s %.3s%3d %.2d:%.2d:%.2d %d",
		 TAP_CTIME_DAYS + 3 * tm.wday, TAP_CTIME_MONTHS + 3 * tm.mon,
		 (int)tm.mday, (int)tm.hour, (int)tm.min, (int)tm.sec, (int)tm.year);
}
#endif

#endif /* TAP_CTIME_H */
