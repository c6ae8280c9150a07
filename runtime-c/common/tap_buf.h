/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A byte sink over a caller-provided array. With a flush callback it
 * streams (stdout, a file, a procfs channel); without one it truncates,
 * which is how sprintf() keeps within MAXSTRINGLEN. No allocation, so the
 * same code can run inside a kernel module.
 */
#ifndef TAP_BUF_H
#define TAP_BUF_H

#include <stddef.h>

struct tap_buf {
	char *data;
	size_t len;
	size_t cap;
	/* Empties the buffer (sets len = 0); NULL: excess bytes are dropped. */
	void (*flush)(struct tap_buf *b);
	void *owner;		/* for the flush callback */
	int truncated;		/* bytes were dropped */
};

static inline void tap_buf_init(struct tap_buf *b, char *data, size_t cap)
{
	b->data = data;
	b->len = 0;
	b->cap = cap;
	b->flush = NULL;
	b->owner = NULL;
	b->truncated = 0;
}

static inline void tap_buf_putc(struct tap_buf *b, char c)
{
	if (b->len >= b->cap && b->flush)
		b->flush(b);
	if (b->len < b->cap)
		b->data[b->len++] = c;
	else
		b->truncated = 1;
}

void tap_buf_put(struct tap_buf *b, const char *s, size_t n);
void tap_buf_puts(struct tap_buf *b, const char *s);
void tap_buf_fill(struct tap_buf *b, char c, long n);

/*
 * A string sink that always leaves room for the terminating NUL; for
 * sprintf() into a MAXSTRINGLEN string.
 */
static inline void tap_buf_init_string(struct tap_buf *b, char *s, size_t size)
{
	tap_buf_init(b, s, size ? size - 1 : 0);
}

static inline void tap_buf_end_string(struct tap_buf *b)
{
	b->data[b->len] = '\0';
}

#endif /* TAP_BUF_H */
