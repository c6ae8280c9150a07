// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stap's printf engine, rewritten for a tap_buf sink. The quirks are stap's
 * and deliberate: "%0s" appends a NUL byte, "%#c" escapes, "%b" writes raw
 * little-endian bytes, "%p" is "%#llx".
 */
#include "tap_format.h"
#include "tap_limits.h"

static int is_conversion(char c)
{
	const char *p;

	for (p = "bsmMcXxdiuop"; *p; p++)
		if (*p == c)
			return 1;
	return 0;
}

enum {
	F_ZEROPAD = 1,
	F_SIGN = 2,
	F_PLUS = 4,
	F_SPACE = 8,
	F_LEFT = 16,
	F_SPECIAL = 32,
	F_LARGE = 64,
};

struct arg_cursor {
	const struct tap_value *args;
	int nargs;
	int next;
};

static long long next_num(struct arg_cursor *a)
{
	return a->next < a->nargs ? a->args[a->next++].n : (a->next++, 0);
}

static const char *next_str(struct arg_cursor *a)
{
	const char *s = a->next < a->nargs ? a->args[a->next].s : NULL;

	a->next++;
	return s ? s : "";
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static long clamp_field(long v, long max)
{
	return v < 0 ? 0 : v > max ? max : v;
}

static long read_decimal(const char **s)
{
	long v = 0;

	while (is_digit(**s)) {
		if (v < 1000000)
			v = v * 10 + (**s - '0');
		(*s)++;
	}
	return v;
}

/* runtime/vsprintf.c number() */
static void put_number(struct tap_buf *o, unsigned long long num, int base,
		       long size, long precision, int type)
{
	static const char small[] = "0123456789abcdef";
	static const char large[] = "0123456789ABCDEF";
	const char *digits = (type & F_LARGE) ? large : small;
	char tmp[66], c, sign = 0;
	int i = 0;

	if (type & F_LEFT)
		type &= ~F_ZEROPAD;
	c = (type & F_ZEROPAD) ? '0' : ' ';
	if (type & F_SIGN) {
		if ((long long)num < 0) {
			sign = '-';
			num = 0 - num;
			size--;
		} else if (type & F_PLUS) {
			sign = '+';
			size--;
		} else if (type & F_SPACE) {
			sign = ' ';
			size--;
		}
	}
	if (type & F_SPECIAL) {
		if (base == 16)
			size -= 2;
		else if (base == 8)
			size--;
	}
	if (num == 0)
		tmp[i++] = '0';
	while (num != 0) {
		tmp[i++] = digits[num % base];
		num /= base;
	}
	if (i > precision)
		precision = i;
	size -= precision;
	if (!(type & (F_ZEROPAD | F_LEFT)))
		while (size-- > 0)
			tap_buf_putc(o, ' ');
	if (sign)
		tap_buf_putc(o, sign);
	if (type & F_SPECIAL) {
		if (base == 8) {
			tap_buf_putc(o, '0');
		} else if (base == 16) {
			tap_buf_putc(o, '0');
			tap_buf_putc(o, (type & F_LARGE) ? 'X' : 'x');
		}
	}
	if (!(type & F_LEFT))
		while (size-- > 0)
			tap_buf_putc(o, c);
	while (i < precision--)
		tap_buf_putc(o, '0');
	while (i-- > 0)
		tap_buf_putc(o, tmp[i]);
	while (size-- > 0)
		tap_buf_putc(o, ' ');
}

static int is_printable_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* _stp_vsprint_char_size and _stp_vsprint_char */
static void put_char(struct tap_buf *o, unsigned char c, long width, int flags)
{
	static const char from[] = "\a\b\f\n\r\t\v'\\";
	static const char to[] = "abfnrtv'\\";
	int size = 1, k;

	if ((flags & F_SPECIAL) &&
	    (!is_printable_ascii(c) || c == '\'' || c == '\\')) {
		size = 4;
		for (k = 0; from[k]; k++)
			if ((unsigned char)from[k] == c)
				size = 2;
	}
	if (!(flags & F_LEFT))
		while (width-- > size)
			tap_buf_putc(o, ' ');
	if (size == 1) {
		tap_buf_putc(o, (char)c);
	} else if (size == 2) {
		tap_buf_putc(o, '\\');
		for (k = 0; from[k]; k++)
			if ((unsigned char)from[k] == c)
				tap_buf_putc(o, to[k]);
	} else {
		tap_buf_putc(o, '\\');
		tap_buf_putc(o, (char)('0' + ((c >> 6) & 3)));
		tap_buf_putc(o, (char)('0' + ((c >> 3) & 7)));
		tap_buf_putc(o, (char)('0' + (c & 7)));
	}
	while (width-- > size)
		tap_buf_putc(o, ' ');
}

/* _stp_vsprint_memory, for %s, %m (raw bytes) and %M (hex bytes) */
static void put_memory(struct tap_buf *o, const char *p, long width,
		       long precision, char format, int flags, long field_max)
{
	static const char hex[] = "0123456789abcdef";
	long len, actlen, i;

	if (format == 's') {
		long max = precision < 0 ? field_max : precision;

		for (len = 0; len < max && p[len]; len++)
			;
	} else {
		len = precision > 0 ? precision : 1;
		/* %m/%M arguments arrive as MAXSTRINGLEN-byte slots */
		if (len > MAXSTRINGLEN)
			len = MAXSTRINGLEN;
	}
	actlen = format == 'M' ? len * 2 : len;
	if (!(flags & F_LEFT))
		while (actlen < width--)
			tap_buf_putc(o, ' ');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (format == 'M') {
			tap_buf_putc(o, hex[c >> 4]);
			tap_buf_putc(o, hex[c & 15]);
		} else {
			tap_buf_putc(o, (char)c);
		}
	}
	while (actlen < width--)
		tap_buf_putc(o, ' ');
	if (flags & F_ZEROPAD)
		tap_buf_putc(o, '\0');
}

static int binary_precision(long p)
{
	return p == 1 || p == 2 || p == 4 || p == 8 ? (int)p : -1;
}

/* _stp_vsprint_binary: raw little-endian bytes, NUL-padded */
static void put_binary(struct tap_buf *o, long long num, long width,
		       long precision, int flags)
{
	int i;

	precision = binary_precision(precision);
	if (width == -1) {
		if (precision == -1)
			width = precision = 8;
		else
			width = precision;
	} else if (precision == -1) {
		precision = binary_precision(width);
		if (precision == -1)
			precision = 8;
	}
	if (!(flags & F_LEFT))
		while (precision < width--)
			tap_buf_putc(o, '\0');
	for (i = 0; i < precision; i++)
		tap_buf_putc(o, (char)(((unsigned long long)num >> (8 * i)) & 0xff));
	while (precision < width--)
		tap_buf_putc(o, '\0');
}

/* Flags, width, precision and length of one directive after its '%'. */
struct directive {
	int flags;
	long width;
	long precision;
	char conv;
};

static const char *parse_directive(const char *fmt, struct directive *d,
				   struct arg_cursor *a, long field_max)
{
	d->flags = 0;
	for (;; fmt++) {
		if (*fmt == '-')
			d->flags |= F_LEFT;
		else if (*fmt == '+')
			d->flags |= F_PLUS;
		else if (*fmt == ' ')
			d->flags |= F_SPACE;
		else if (*fmt == '#')
			d->flags |= F_SPECIAL;
		else if (*fmt == '0')
			d->flags |= F_ZEROPAD;
		else
			break;
	}
	d->width = -1;
	if (is_digit(*fmt)) {
		d->width = clamp_field(read_decimal(&fmt), field_max);
	} else if (*fmt == '*') {
		fmt++;
		d->width = a ? (int)next_num(a) : 0;
		if (d->width < 0) {
			d->width = -d->width;
			d->flags |= F_LEFT;
		}
		d->width = clamp_field(d->width, field_max);
	}
	d->precision = -1;
	if (*fmt == '.') {
		fmt++;
		if (is_digit(*fmt)) {
			d->precision = read_decimal(&fmt);
		} else if (*fmt == '*') {
			fmt++;
			d->precision = a ? (int)next_num(a) : 0;
		} else {
			d->precision = 0;
		}
		d->precision = clamp_field(d->precision, field_max);
	}
	/* stap's translator adds "ll"; accept and ignore length modifiers */
	while (*fmt == 'h' || *fmt == 'l' || *fmt == 'L')
		fmt++;
	d->conv = *fmt;
	return fmt;
}

void tap_format(struct tap_buf *o, long field_max, const char *fmt,
		const struct tap_value *args, int nargs)
{
	struct arg_cursor a = { args, nargs, 0 };
	struct directive d;
	int base;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			tap_buf_putc(o, *fmt);
			continue;
		}
		fmt = parse_directive(fmt + 1, &d, &a, field_max);
		base = 10;
		switch (d.conv) {
		case 'b':
			put_binary(o, next_num(&a), d.width, d.precision, d.flags);
			continue;
		case 's':
		case 'm':
		case 'M':
			put_memory(o, next_str(&a), d.width, d.precision, d.conv,
				   d.flags, field_max);
			continue;
		case 'c':
			put_char(o, (unsigned char)next_num(&a), d.width, d.flags);
			continue;
		case '%':
			tap_buf_putc(o, '%');
			continue;
		case 'X':
			d.flags |= F_LARGE;
			base = 16;
			break;
		case 'x':
			base = 16;
			break;
		case 'd':
		case 'i':
			d.flags |= F_SIGN;
			break;
		case 'u':
			break;
		case 'o':
			base = 8;
			break;
		case 'p':
			d.flags |= F_SPECIAL;
			base = 16;
			break;
		default:
			tap_buf_putc(o, '%');
			if (d.conv)
				tap_buf_putc(o, d.conv);
			else
				fmt--;
			continue;
		}
		put_number(o, (unsigned long long)next_num(&a), base, d.width,
			   d.precision, d.flags);
	}
}

int tap_format_arg_kinds(const char *fmt, char *kinds, int max)
{
	struct directive d;
	int n = 0;

	for (; *fmt; fmt++) {
		const char *start;

		if (*fmt != '%')
			continue;
		start = fmt + 1;
		fmt = parse_directive(start, &d, NULL, TAP_STREAM_FIELD_MAX);
		/* "*" width and precision each take a number first */
		for (; start < fmt; start++)
			if (*start == '*') {
				if (n < max)
					kinds[n] = 'l';
				n++;
			}
		if (!d.conv) {
			fmt--;
			continue;
		}
		if (d.conv == '%' || !is_conversion(d.conv))
			continue;
		if (n < max)
			kinds[n] = (d.conv == 's' || d.conv == 'm' || d.conv == 'M') ? 's' : 'l';
		n++;
	}
	return n;
}
