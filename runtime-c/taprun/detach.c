// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detaching many probes at once. Closing a tracepoint's perf event waits
 * for an RCU grace period in the kernel (perf_trace_event_unreg():
 * tracepoint_synchronize_unregister()), about 70 ms here, so a script on
 * syscall.* (some 360 tracepoints) took 26 s to stop one link after the
 * other. Grace periods that several threads wait for at once are shared:
 * the links are destroyed by up to DETACH_THREADS_MAX threads, each taking
 * every Nth link; where a thread cannot be started, this thread does its
 * share. Links made through the bpf system call (uprobe_multi.h) are
 * plain fds, closed the same way.
 */
#include <pthread.h>
#include <unistd.h>
#include "detach.h"

/* Below this many links, one thread does it: a thread costs more than it saves. */
#define DETACH_PARALLEL_MIN 8

struct share {
	void (*release)(void *items, int i);
	void *items;
	int n, first, stride;
};

static void *release_share(void *arg)
{
	struct share *s = arg;
	int i;

	for (i = s->first; i < s->n; i += s->stride)
		s->release(s->items, i);
	return NULL;
}

/* Calls release(items, i) for every i in [0, n), from several threads when n is large. */
static void release_all(void (*release)(void *items, int i), void *items, int n)
{
	pthread_t tid[DETACH_THREADS_MAX];
	struct share shares[DETACH_THREADS_MAX];
	int started[DETACH_THREADS_MAX] = { 0 };
	int threads = n / 4, t;

	if (threads > DETACH_THREADS_MAX)
		threads = DETACH_THREADS_MAX;
	if (n < DETACH_PARALLEL_MIN || threads < 2) {
		struct share all = { release, items, n, 0, 1 };

		release_share(&all);
		return;
	}
	for (t = 0; t < threads; t++) {
		shares[t] = (struct share){ release, items, n, t, threads };
		started[t] = pthread_create(&tid[t], NULL, release_share,
					    &shares[t]) == 0;
		if (!started[t])
			release_share(&shares[t]);
	}
	for (t = 0; t < threads; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}

static void destroy_link(void *items, int i)
{
	bpf_link__destroy(((struct bpf_link **)items)[i]);
}

static void close_fd(void *items, int i)
{
	close(((int *)items)[i]);
}

void destroy_links(struct bpf_link **links, int n)
{
	release_all(destroy_link, links, n);
}

void close_link_fds(int *fds, int n)
{
	release_all(close_fd, fds, n);
}
