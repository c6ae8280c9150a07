/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SystemTap's string tapset (tapset/string.stp) for the user side and the
 * kmod runtime: every function writes at most MAXSTRINGLEN bytes with the
 * NUL, and behaves as stap's for the same input (truncation included).
 */
#ifndef TAP_STRINGS_H
#define TAP_STRINGS_H

#include <linux/types.h>

/* substr(str, start, length) */
void tap_substr(char *dst, const char *str, __s64 start, __s64 length);
/* strpos(s1, s2): offset of s2 in s1 or -1; isinstr(s1, s2) is >= 0 */
__s64 tap_strpos(const char *s1, const char *s2);
/* str_replace(str, search, replacement); an empty search returns str */
void tap_str_replace(char *dst, const char *str, const char *search,
		     const char *replacement);
/* strtol(str, base) as the kernel's simple_strtoll (stap's): base 0 detects 0x/0 */
__s64 tap_strtol(const char *str, __s64 base);
/* isdigit(str): of the first character */
__s64 tap_isdigit(const char *str);
/*
 * text_str(s) = tap_text_str(dst, s, 0, 0); text_strn(s, len, quoted) =
 * tap_text_str(dst, s, len, quoted); string_quoted(s) = (dst, s, 0, 1).
 * Escapes non-printable bytes (\n, \ooo, UTF-8 as \uXXXX/\UXXXXXXXX),
 * at most `len` output characters (0: MAXSTRINGLEN-1); quoted adds "" and
 * marks a truncation with "...", never cutting an escape in two.
 */
void tap_text_str(char *dst, const char *in, __s64 len, int quoted);

#endif /* TAP_STRINGS_H */
