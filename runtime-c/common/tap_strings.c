// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap_limits.h"
#include "tap_strings.h"

static __s64 length_of(const char *s)
{
	__s64 n = 0;

	while (n < MAXSTRINGLEN - 1 && s[n])
		n++;
	return n;
}

/* Copies at most n - 1 bytes and terminates (strlcpy). */
static void copy_bounded(char *dst, const char *src, __s64 n)
{
	__s64 i;

	if (n <= 0)
		return;
	for (i = 0; i < n - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void tap_substr(char *dst, const char *str, __s64 start, __s64 length)
{
	__s64 n = length + 1;

	dst[0] = '\0';
	if (n < 0)
		n = 0;
	if (n > MAXSTRINGLEN)
		n = MAXSTRINGLEN;
	if (start >= 0 && start < length_of(str))
		copy_bounded(dst, str + start, n);
}

/* First occurrence of needle in hay (strstr). */
static const char *find(const char *hay, const char *needle)
{
	__s64 i, j;

	for (i = 0;; i++) {
		for (j = 0; needle[j] && hay[i + j] == needle[j]; j++)
			;
		if (!needle[j])
			return hay + i;
		if (!hay[i])
			return 0;
	}
}

__s64 tap_strpos(const char *s1, const char *s2)
{
	const char *p = find(s1, s2);

	return p ? p - s1 : -1;
}

/* Appends src to dst within MAXSTRINGLEN (strlcat); n: bytes of src. */
static void append(char *dst, __s64 *len, const char *src, __s64 n)
{
	__s64 i;

	for (i = 0; i < n && src[i] && *len < MAXSTRINGLEN - 1; i++)
		dst[(*len)++] = src[i];
	dst[*len] = '\0';
}

void tap_str_replace(char *dst, const char *str, const char *search,
		     const char *replacement)
{
	char out[MAXSTRINGLEN];
	__s64 slen = length_of(search), len = 0, i;
	const char *p = str, *hit;

	out[0] = '\0';
	if (slen == 0) {
		append(out, &len, str, MAXSTRINGLEN);
	} else {
		while ((hit = find(p, search))) {
			append(out, &len, p, hit - p);
			append(out, &len, replacement, MAXSTRINGLEN);
			p = hit + slen;
		}
		append(out, &len, p, MAXSTRINGLEN);
	}
	for (i = 0; i <= len; i++)	/* dst may be one of the inputs */
		dst[i] = out[i];
}

/* A digit as the kernel's _parse_integer() reads one: 0-9, a-f, A-F; else 99 */
static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * strtol(str, base) as stap's, the kernel's simple_strtoll() (what the kmod
 * runtime calls): an optional '-', no blanks or '+'; base 0 finds 0x (16),
 * 0 (8) or 10; base 16 skips a 0x; the base is an unsigned int, digits go
 * up to f whatever it is, and the value wraps at 64 bits.
 */
__s64 tap_strtol(const char *s, __s64 base_arg)
{
	unsigned int base = (unsigned int)base_arg, d;
	__u64 v = 0;
	int neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (base == 0) {
		if (s[0] == '0')
			base = (s[1] | 0x20) == 'x' && digit_value(s[2]) < 16 ?
				16 : 8;
		else
			base = 10;
	}
	if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	/* a character that is no digit at all ends the number whatever the base */
	while ((d = digit_value(*s)) < 16 && d < base) {
		v = v * base + d;
		s++;
	}
	return neg ? -(__s64)v : (__s64)v;
}

__s64 tap_isdigit(const char *str)
{
	return str[0] >= '0' && str[0] <= '9';
}

/*
 * One input character: a UTF-8 sequence (RFC 3629, shortest form, no
 * surrogates) as its code point, anything else as one byte.
 */
static int decode_utf8(const unsigned char *s, __s64 avail, int *cp)
{
	int n, i, c;

	if ((s[0] & 0xe0) == 0xc0 && avail >= 2) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0 && avail >= 3) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0 && avail >= 4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		goto byte;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto byte;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c < 0x80 ||
	    (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		goto byte;
	*cp = c;
	return n;
byte:
	*cp = s[0];
	return 1;
}

/* The escape of one character into e; returns its length. */
static int escape(int c, int multibyte, char *e)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char from[] = "\a\b\f\n\r\t\v\"\\";
	static const char to[] = "abfnrtv\"\\";
	int i, n;

	if (multibyte) {
		n = c <= 0xffff ? 6 : 10;
		e[0] = '\\';
		e[1] = c <= 0xffff ? 'u' : 'U';
		for (i = 2; i < n; i++)
			e[i] = hex[(c >> ((n - 1 - i) * 4)) & 0xf];
		return n;
	}
	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		e[0] = (char)c;
		return 1;
	}
	for (i = 0; from[i]; i++)
		if (from[i] == c) {
			e[0] = '\\';
			e[1] = to[i];
			return 2;
		}
	e[0] = '\\';
	e[1] = (char)('0' + ((c >> 6) & 3));
	e[2] = (char)('0' + ((c >> 3) & 7));
	e[3] = (char)('0' + (c & 7));
	return 4;
}

void tap_text_str(char *dst, const char *in, __s64 len, int quoted)
{
	const unsigned char *s = (const unsigned char *)in;
	/* as stap: the input bound is the string size; c == 0 ends the text */
	__s64 inlen = MAXSTRINGLEN - 1, room, cut = -1, cut_len = 0, out = 0;
	int c = 0;

	room = len <= 0 || len > MAXSTRINGLEN - 1 ? MAXSTRINGLEN - 1 : len;
	if (quoted) {
		room = (room > 5 ? room : 5) - 2;
		dst[out++] = '"';
	}
	while (inlen > 0) {
		char e[10];
		int n = decode_utf8(s, inlen, &c), k, i;

		if (c == 0 || room <= 0)
			break;
		s += n;
		inlen -= n;
		k = escape(c, n > 1, e);
		/* the first escape that a "..." could cut: remember it */
		if (k > 1 && cut < 0 && room - 3 < k) {
			cut = out;
			cut_len = k;
		}
		if (room < k)
			break;
		for (i = 0; i < k; i++)
			dst[out++] = e[i];
		room -= k;
	}
	if (quoted) {
		if (c && inlen > 0) {
			__s64 trunc = out - 3 + room;

			out = cut >= 0 && cut < trunc && trunc < cut + cut_len ?
			      cut : trunc;
			dst[out++] = '"';
			dst[out++] = '.';
			dst[out++] = '.';
			dst[out++] = '.';
		} else {
			dst[out++] = '"';
		}
	}
	dst[out] = '\0';
}
