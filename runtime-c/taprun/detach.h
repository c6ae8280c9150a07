/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TAPRUN_DETACH_H
#define TAPRUN_DETACH_H

#include <bpf/libbpf.h>

/* Most threads destroy_links() runs at once. */
#define DETACH_THREADS_MAX 8

/* Destroys every link of links[0..n), several at a time; returns when all are gone. */
void destroy_links(struct bpf_link **links, int n);

/* Closes link fds[0..n) the same way. */
void close_link_fds(int *fds, int n);

#endif /* TAPRUN_DETACH_H */
