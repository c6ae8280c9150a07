// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * printk(level, msg): a line of the kernel log written through /dev/kmsg,
 * "<level>msg" per write(2) (the kernel takes one record per write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "user_kmsg.h"

/* A record the kernel takes whole: its limit is 1024 bytes with the prefix. */
#define TAP_KMSG_MAX 1000

static int kmsg_fd = -1;
static bool kmsg_warned;

void tap_kmsg_write(long level, const char *msg)
{
	char line[TAP_KMSG_MAX + 8];
	int n;

	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	n = snprintf(line, sizeof(line), "<%ld>%.*s\n", level & 7, TAP_KMSG_MAX, msg);
	if (kmsg_fd >= 0 && write(kmsg_fd, line, (size_t)n) == n)
		return;
	if (!kmsg_warned) {
		kmsg_warned = true;
		fprintf(stderr, "WARNING: printk(): cannot write the kernel log (/dev/kmsg): %s\n", strerror(errno));
	}
}
