// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frames.h"

#define READ_CHUNK 65536

long frame_fill(struct frame_reader *r, int fd)
{
	ssize_t n;

	if (r->size - r->used < READ_CHUNK) {
		size_t size = r->size ? r->size * 2 : 2 * READ_CHUNK;
		unsigned char *b;

		if (size > 2 * (MAX_FRAME_BYTES + 5) + READ_CHUNK)
			size = 2 * (MAX_FRAME_BYTES + 5) + READ_CHUNK;
		b = realloc(r->buf, size);
		if (!b)
			return -1;
		r->buf = b;
		r->size = size;
	}
	do {
		n = read(fd, r->buf + r->used, r->size - r->used);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		r->used += n;
	return n;
}

/* Frames handed out are dropped from the front the next time. */
static size_t consumed;

int frame_next(struct frame_reader *r, struct frame *f)
{
	uint32_t len;

	if (consumed) {
		memmove(r->buf, r->buf + consumed, r->used - consumed);
		r->used -= consumed;
		consumed = 0;
	}
	if (r->used < 5)
		return 0;
	len = (uint32_t)r->buf[1] << 24 | (uint32_t)r->buf[2] << 16 | (uint32_t)r->buf[3] << 8 | r->buf[4];
	if (len > MAX_FRAME_BYTES)
		return -1;
	if (r->used < 5 + (size_t)len)
		return 0;
	f->type = r->buf[0];
	f->payload = r->buf + 5;
	f->len = len;
	consumed = 5 + (size_t)len;
	return 1;
}

int write_all(int fd, const void *buf, size_t len, size_t *done)
{
	const char *p = buf;

	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0)
			return -1;
		*done += n;
	}
	return 0;
}

/* All of buf, retrying after signals (the socket's writes do not wait on the user). */
static int write_full(int fd, const void *buf, size_t len)
{
	size_t done;

	while (write_all(fd, buf, len, &done)) {
		if (errno != EINTR)
			return -1;
		buf = (const char *)buf + done;
		len -= done;
	}
	return 0;
}

int frame_send(int fd, int type, const void *payload, size_t len)
{
	unsigned char head[5] = { type, len >> 24, len >> 16, len >> 8, len };

	if (write_full(fd, head, 5))
		return -1;
	return write_full(fd, payload, len);
}
