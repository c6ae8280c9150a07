// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * procfs probes on the bpf runtime (procfs.h). Opening a FIFO blocks until
 * the other end comes, so each file has a thread that waits in open():
 * - a read file's thread opens it for writing when a reader comes, asks the
 *   event loop to run the read probe, writes the text, closes (the reader
 *   sees EOF), and waits until the reader has closed it before offering
 *   it again: reopened while the reader still drains, the FIFO would hand
 *   the same reader a second text. inotify tells of the close.
 * - a write file's thread opens it for reading when a writer comes and
 *   asks the event loop to run the write probe for each chunk it reads,
 *   up to the probe's buffer, until the writers close it.
 * Threads do all the blocking I/O; probes run on the event loop's thread,
 * as every user-side probe does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include "procfs.h"
#include "procfs_dirs.h"
#include "user_rt.h"

struct procfs_file {
	const char *path;	/* below the module's directory */
	int probe;		/* the probe table's index */
	int write;		/* a write probe's file */
	__u32 bufsize;		/* with the NUL */
	int parent;		/* its directory's descriptor */
	const char *name;	/* its name there */
	int inotify;		/* read files: its readers' closes */
	pthread_t thread;
	int started;
	sem_t served;		/* the event loop ran the probe */
	int fd;			/* the end the thread has open, or -1 */
	char *data;		/* $value: the text to give or the text written */
};

static struct {
	struct procfs_file files[PROCFS_MAX_FILES];
	int n;
	int dir;		/* /var/tmp/systemtap-USER/MODULE */
	char path[4096];	/* its path */
	int notify[2];		/* threads -> event loop: file indexes */
} pf = { .dir = -1, .notify = { -1, -1 } };

/* Hands file `i` to the event loop and waits until it has run the probe. */
static void request(struct procfs_file *f)
{
	int i = (int)(f - pf.files);

	if (write(pf.notify[1], &i, sizeof(i)) == sizeof(i))
		while (sem_wait(&f->served) && errno == EINTR)
			;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* the reader went away (EPIPE) */
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Waits until a reader has closed the FIFO: the one just served (its close
 * may already be queued, even if it went away before it was served).
 * inotify merges identical events that follow each other, so opens and
 * closes cannot be counted; with several readers at once, the first close
 * lets the file be offered again.
 */
static void wait_closed(struct procfs_file *f)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(f->inotify, buf, sizeof(buf)), off;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (off = 0; off < n;) {
			const struct inotify_event *e = (const void *)(buf + off);

			if (e->mask & (IN_CLOSE_NOWRITE | IN_Q_OVERFLOW))
				return;
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
}

/* Waits for the FIFO's other end (a reader, or a writer); 0, or -1 after a warning. */
static int open_fifo(struct procfs_file *f, int flags)
{
	do
		f->fd = openat(f->parent, f->name, flags | O_CLOEXEC);
	while (f->fd < 0 && errno == EINTR);
	if (f->fd >= 0)
		return 0;
	tap_report_warning("procfs %s: %s", f->path, strerror(errno));
	return -1;
}

static void *serve_readers(void *arg)
{
	struct procfs_file *f = arg;

	while (!open_fifo(f, O_WRONLY)) {
		f->data[0] = '\0';
		request(f);
		write_all(f->fd, f->data, strlen(f->data));
		close(f->fd);
		f->fd = -1;
		wait_closed(f);
	}
	return NULL;
}

static void *serve_writers(void *arg)
{
	struct procfs_file *f = arg;

	while (!open_fifo(f, O_RDONLY)) {
		ssize_t n;

		while ((n = read(f->fd, f->data, f->bufsize - 1)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			f->data[n] = '\0';
			request(f);
		}
		close(f->fd);
		f->fd = -1;
	}
	return NULL;
}

/* The module's procfs probes, one file each (pass 2 allows one probe of a kind per file). */
static int collect(void)
{
	const struct tap_module *m = tap_rt.mod;
	int i;

	for (i = 0; i < m->nprobes; i++) {
		const struct tap_probe_desc *p = &m->probes[i];
		struct procfs_file *f;

		if (p->kind != TAP_PK_PROCFS_READ && p->kind != TAP_PK_PROCFS_WRITE)
			continue;
		if (pf.n == PROCFS_MAX_FILES) {
			tap_report_fatal("the module has more than %d procfs files",
					 PROCFS_MAX_FILES);
			return -1;
		}
		f = &pf.files[pf.n++];
		f->path = p->procfs_path;
		f->probe = i;
		f->write = p->kind == TAP_PK_PROCFS_WRITE;
		f->bufsize = p->procfs_bufsize > 1 ? p->procfs_bufsize : 2;
		f->parent = -1;
		f->inotify = -1;
		f->fd = -1;
		f->data = calloc(1, f->bufsize);
		if (!f->data) {
			tap_report_fatal("procfs %s: out of memory", f->path);
			return -1;
		}
	}
	return 0;
}

/* The FIFO, the watch of a read file's closes, the thread. */
static int start_file(struct procfs_file *f, const struct tap_probe_desc *p)
{
	char why[512], fifo[sizeof(pf.path) + 256];

	snprintf(fifo, sizeof(fifo), "%s/%s", pf.path, f->path);
	if (procfs_fifo(pf.dir, f->path, p->procfs_mode, &f->parent, &f->name,
			why, sizeof(why))) {
		tap_report_fatal("procfs %s: %s", fifo, why);
		return -1;
	}
	if (!f->write) {
		f->inotify = inotify_init1(IN_CLOEXEC);
		if (f->inotify < 0 ||
		    inotify_add_watch(f->inotify, fifo, IN_DONT_FOLLOW |
				      IN_CLOSE_NOWRITE) < 0) {
			tap_report_fatal("procfs %s: cannot watch it: %s", fifo,
					 strerror(errno));
			return -1;
		}
	}
	sem_init(&f->served, 0, 0);
	if (pthread_create(&f->thread, NULL,
			   f->write ? serve_writers : serve_readers, f)) {
		tap_report_fatal("procfs %s: cannot start its thread", fifo);
		return -1;
	}
	f->started = 1;
	return 0;
}

int procfs_start(int *notify_fd)
{
	const struct tap_module *m = tap_rt.mod;
	char why[512];
	int i;

	*notify_fd = -1;
	if (collect())
		return -1;
	if (!pf.n)
		return 0;
	pf.dir = procfs_module_dir(m->name, pf.path, sizeof(pf.path), why,
				   sizeof(why));
	if (pf.dir < 0) {
		tap_report_fatal("procfs files of %s: %s", m->name, why);
		return -1;
	}
	if (pipe2(pf.notify, O_CLOEXEC | O_NONBLOCK)) {
		tap_report_fatal("procfs: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < pf.n; i++)
		if (start_file(&pf.files[i], &m->probes[pf.files[i].probe]))
			return -1;
	*notify_fd = pf.notify[0];
	return 0;
}

void procfs_serve(void)
{
	int i;

	while (read(pf.notify[0], &i, sizeof(i)) == sizeof(i)) {
		struct procfs_file *f;

		if (i < 0 || i >= pf.n)
			continue;
		f = &pf.files[i];
		/* outside RUNNING a reader gets nothing (the thread emptied
		 * the buffer) and a write is dropped */
		if (tap_rt.session->state == TAP_STATE_RUNNING &&
		    tap_rt.stop_reason == TAP_STOP_NONE)
			tap_rt_run_procfs(f->probe, f->data, f->bufsize);
		sem_post(&f->served);
	}
}

void procfs_stop(void)
{
	int i;

	for (i = 0; i < pf.n; i++) {
		struct procfs_file *f = &pf.files[i];

		/* every place a thread waits is a cancellation point */
		if (f->started) {
			pthread_cancel(f->thread);
			pthread_join(f->thread, NULL);
			sem_destroy(&f->served);
		}
		if (f->fd >= 0)
			close(f->fd);
		if (f->inotify >= 0)
			close(f->inotify);
		if (f->parent >= 0) {
			procfs_remove(pf.dir, f->path, f->parent, f->name);
			close(f->parent);
		}
		free(f->data);
	}
	pf.n = 0;
	for (i = 0; i < 2; i++)
		if (pf.notify[i] >= 0)
			close(pf.notify[i]);
	if (pf.dir >= 0) {
		close(pf.dir);
		rmdir(pf.path);	/* ours (procfs_dirs.c); kept if not empty */
	}
	pf.dir = -1;
}
