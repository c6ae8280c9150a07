/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Uprobes as uprobe_multi links (BPF_TRACE_UPROBE_MULTI, kernel 6.6 and
 * later), through the bpf system call: Debian's libbpf 1.1 has no API for
 * them. A perf-event uprobe's close waits for a grace period under a lock
 * the kernel shares with every other one (~100 ms each, one after the
 * other: 1670 of them took 3 minutes to detach); a uprobe_multi link's
 * release waits outside it, so links closed from several threads share
 * their grace periods (1670 in ~14 s, measured here).
 */
#ifndef TAPRUN_UPROBE_MULTI_H
#define TAPRUN_UPROBE_MULTI_H

#include <linux/types.h>

/* The uapi values (linux/bpf.h of 6.6), which the installed headers may predate. */
#define TAP_BPF_TRACE_UPROBE_MULTI 48
#define TAP_BPF_F_UPROBE_MULTI_RETURN 1U

/* 1 when this kernel loads and links uprobe_multi programs (probed once). */
int uprobe_multi_supported(void);

/*
 * Links program prog_fd (loaded with expected attach type
 * TAP_BPF_TRACE_UPROBE_MULTI) at cnt offsets of the file at path, return
 * probes when retprobe; ref_ctrs (NULL: none) holds each one's SDT
 * semaphore (0: none) and cookies the value bpf_get_attach_cookie()
 * returns there. The link's fd, or -1 with errno set.
 */
int uprobe_multi_attach(int prog_fd, const char *path, const __u64 *offsets,
			const __u64 *ref_ctrs, const __u64 *cookies, __u32 cnt,
			int retprobe);

#endif /* TAPRUN_UPROBE_MULTI_H */
