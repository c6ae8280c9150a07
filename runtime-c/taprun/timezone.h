/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TAPRUN_TIMEZONE_H
#define TAPRUN_TIMEZONE_H

/*
 * tz_gmtoff() and tz_name(): this process's time zone now (its TZ), as
 * staprun passes it to a module when it starts: seconds west of UTC, and
 * the zone's abbreviation (at most len - 1 characters of [A-Za-z0-9+-],
 * so that it can travel as a module parameter).
 */
void tap_local_timezone(long long *west, char *name, int len);

#endif /* TAPRUN_TIMEZONE_H */
