/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kmod runtime's internal state, shared by its parts: the session
 * (kmod_session.c), the output channels (kmod_channel.c), the hash tables
 * (kmod_map.c), probe registration (kmod_probes.c), the files of procfs
 * probes (kmod_procfs.c) and the build-id check (kmod_buildid.c).
 * Generated code never includes this.
 */
#ifndef TAP_KMOD_RT_H
#define TAP_KMOD_RT_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include "tap_runtime.h"
#include "tap_buf.h"

extern const struct tap_module tap_module;

/* The per-CPU context of a running handler (and the session's). */
struct tap_kctx {
	struct tap_context c;		/* first: handlers get &kctx->c */
	atomic_t busy;			/* a handler runs on this context */
	struct pt_regs *regs;		/* kprobes, kretprobes */
	unsigned long args[6];		/* tracepoints */
	const void *record;		/* trace events: the event's record */
	bool func_entry;		/* a uprobe at a function's first instruction */
	__u32 fmt;			/* format of the pending printf */
	char printf_args[TAP_MAX_PRINTF_ARGS * MAXSTRINGLEN];
	char stage[4096];		/* formatted output on its way out */
	char tok_str[MAXSTRINGLEN];	/* tokenize(): the text, kept between calls */
	size_t tok_at, tok_len;
};

/* An output channel: a byte ring a procfs file reads (out, err). */
struct tap_channel {
	spinlock_t lock;
	char *data;
	size_t size, head, tail;	/* head: write, tail: read; size 2^n */
	wait_queue_head_t readable;	/* woken from task context only */
	wait_queue_head_t writable;
	atomic64_t lost;		/* bytes dropped: ring full */
	bool reader_gone;
};

struct tap_session_rt {
	atomic_t state;			/* enum tap_state */
	atomic64_t errors, skipped;
	bool exit_requested;		/* exit() or too many errors */
	struct task_struct *worker;	/* runs the session probes */
	struct tap_kctx *session_ctx;
	struct tap_kctx *cpu_ctx[TAP_MAX_CPUS];
	struct tap_channel out, err;
	pid_t owner;			/* the loader that loaded the module */
};

extern struct tap_session_rt tap_rt;

/* kmod_ustack.c: at load, before any probe; at unload, after the probes are gone */
void tap_ustack_init(void);
void tap_ustack_cleanup(void);

/* module parameters (taprun -D / -s) */
extern unsigned int tap_maxmapentries, tap_maxerrors, tap_maxskipped;

/* kmod_channel.c */
int tap_channel_init(struct tap_channel *ch, size_t size);
void tap_channel_free(struct tap_channel *ch);
/* Appends whole; in task context waits for room, elsewhere drops. */
void tap_channel_write(struct tap_channel *ch, const char *p, size_t n);
int tap_channel_procfs(struct proc_dir_entry *dir);
void tap_channel_wake(void);

/* kmod_session.c */
void tap_run_probe(int index, struct pt_regs *regs, const unsigned long *args,
		   const void *record);
/* A procfs probe with c->procfs_buf = buf (size bytes), in task context. */
void tap_run_procfs_probe(int index, char *buf, __u32 size);
void tap_report(const char *kind, const char *point, const char *msg,
		const char *loc);

/* kmod_probes.c */
int tap_probes_register(char *err, size_t errsize);
void tap_probes_unregister(void);

/* kmod_procfs.c: /proc/systemtap/MODULE/... (from tap_probes_register) */
int tap_procfs_create(char *err, size_t errsize);
void tap_procfs_remove(void);

/* kmod_map.c */
int tap_maps_init(void);
void tap_maps_free(void);

/* kmod_buildid.c: 0, or -1 with SystemTap's message in err */
int tap_buildid_check(char *err, size_t errsize);

#endif /* TAP_KMOD_RT_H */
