/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * printf/sprintf with every SystemTap directive, formatted exactly as
 * stap's runtime/vsprintf.c does: %d %i %u %x %X %o %p %c %s %m %M %b %%,
 * flags "-+ #0", widths and precisions (also "*"). Numbers are 64-bit;
 * "*" widths and %c take the low 32 bits like stap's va_arg(int).
 */
#ifndef TAP_FORMAT_H
#define TAP_FORMAT_H

#include "tap_buf.h"

/* One printf argument: a number or a string, as the format says. */
struct tap_value {
	long long n;
	const char *s;
};

/* Widths and precisions are clamped to this when printing to a stream. */
#define TAP_STREAM_FIELD_MAX 8192

/*
 * Formats into `out`. `field_max` bounds widths and precisions: use
 * TAP_STREAM_FIELD_MAX for printf and the string size for sprintf. Missing
 * arguments count as 0 and "" (pass 2 rejects such scripts anyway).
 */
void tap_format(struct tap_buf *out, long field_max, const char *fmt,
		const struct tap_value *args, int nargs);

/*
 * The kind of each argument the format consumes, in order: 'l' (number,
 * including "*" widths and precisions) or 's' (string, %s %m %M). Writes
 * at most `max` kinds into `kinds` and returns how many the format needs.
 */
int tap_format_arg_kinds(const char *fmt, char *kinds, int max);

#endif /* TAP_FORMAT_H */
