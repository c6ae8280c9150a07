/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frames between a client and a warm runner (cli/warm/protocol.ts). */
#ifndef TAPFLEET_WARM_FRAMES_H
#define TAPFLEET_WARM_FRAMES_H

#include <stddef.h>
#include <stdint.h>

enum frame_type {
	FRAME_REQUEST = 0x71,
	FRAME_SIGNAL = 0x73,
	FRAME_STDOUT_GONE = 0x70,
	FRAME_ACCEPTED = 0x61,
	FRAME_BUSY = 0x62,
	FRAME_STDOUT = 0x6f,
	FRAME_STDERR = 0x65,
	FRAME_EXIT = 0x78,
	FRAME_SPAWN = 0x63,
	FRAME_SPAWNED = 0x6e,
	FRAME_RELEASE = 0x67,
	FRAME_EXITED = 0x64,
};

#define MAX_FRAME_BYTES (8u << 20)

/* Bytes read from the socket, cut into frames as they complete. */
struct frame_reader {
	unsigned char *buf;
	size_t used, size;
};

struct frame {
	int type;
	const unsigned char *payload;
	size_t len;
};

/* Reads what the socket has into r; 0 at its end, -1 on an error. */
long frame_fill(struct frame_reader *r, int fd);
/* 1 with the next whole frame in *f (valid until the next call), 0 when none is whole yet, -1 for one over the limit. */
int frame_next(struct frame_reader *r, struct frame *f);
/* Writes one frame whole (retrying on EINTR); -1 on an error. */
int frame_send(int fd, int type, const void *payload, size_t len);
/* Writes all of buf to fd; -1 with errno on an error (EINTR is the caller's: *done says how much went). */
int write_all(int fd, const void *buf, size_t len, size_t *done);

#endif /* TAPFLEET_WARM_FRAMES_H */
