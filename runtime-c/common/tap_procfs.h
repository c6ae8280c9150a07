/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * $value of procfs probes. The runtime points c->procfs_buf at the file's
 * buffer before it runs the probe: a read probe fills it (`$value = ...`,
 * `$value .= ...`) and the reader gets it; a write probe finds the text
 * written there. Unlike a string, the buffer holds up to procfs_size - 1
 * bytes (procfs("f").read.maxsize(N)); what does not fit is cut, as stap.
 * Included by both runtimes (bpf's user part, kmod) after their string
 * functions.
 */
#ifndef TAP_PROCFS_H
#define TAP_PROCFS_H

/* A read probe's buffer without .maxsize(N): stap's default. */
#ifndef STP_PROCFS_BUFSIZE
#define STP_PROCFS_BUFSIZE MAXSTRINGLEN
#endif

static inline const char *tap_procfs_append(struct tap_context *c,
					    const char *s)
{
	size_t used = strlen(c->procfs_buf);
	size_t room = c->procfs_size - 1 - used;
	size_t n = strlen(s);

	if (n > room)
		n = room;
	memcpy(c->procfs_buf + used, s, n);
	c->procfs_buf[used + n] = '\0';
	return c->procfs_buf;
}

static inline const char *tap_procfs_set(struct tap_context *c,
					 const char *s)
{
	c->procfs_buf[0] = '\0';
	return tap_procfs_append(c, s);
}

#endif /* TAP_PROCFS_H */
