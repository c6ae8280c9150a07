// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap_buf.h"

void tap_buf_put(struct tap_buf *b, const char *s, size_t n)
{
	while (n) {
		size_t room;

		if (b->len >= b->cap && b->flush)
			b->flush(b);
		room = b->cap - b->len;
		if (!room) {
			b->truncated = 1;
			return;
		}
		if (room > n)
			room = n;
		for (size_t i = 0; i < room; i++)
			b->data[b->len + i] = s[i];
		b->len += room;
		s += room;
		n -= room;
	}
}

void tap_buf_puts(struct tap_buf *b, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	tap_buf_put(b, s, n);
}

void tap_buf_fill(struct tap_buf *b, char c, long n)
{
	while (n-- > 0)
		tap_buf_putc(b, c);
}
