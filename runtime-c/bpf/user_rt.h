/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state of the user side of a running bpf module, shared by the
 * functions the user part calls (user_api.c), the record decoder
 * (user_records.c), the reporter (user_report.c) and taprun's main loop.
 */
#ifndef TAP_USER_RT_H
#define TAP_USER_RT_H

#include <stdio.h>
#include <linux/types.h>
#include "tap_abi.h"
#include "tap_buf.h"
#include "tap_context.h"
#include "tap_module.h"

enum tap_stop_reason {
	TAP_STOP_NONE = 0,
	TAP_STOP_EXIT,
	TAP_STOP_TIMEOUT,
	TAP_STOP_SIGNAL,
	TAP_STOP_ERROR,
};

struct tap_rt {
	const struct tap_module *mod;
	struct tap_build_limits limits;	/* of the module, not of taprun */
	struct tap_session *session;	/* mmap of the tap_session map */
	void *globals;			/* mmap of the tap_globals map */
	int counters_fd;		/* tap_counters (per CPU) */
	/* kernel reads of user-side probes (user_kread.c): mmap of tap_kread, its program; NULL, -1 without */
	struct tap_kread_req *kread;
	int kread_prog_fd;
	int ncpus;			/* possible CPUs: per-CPU value count */
	/* argument kinds of each format, 'l'/'s', computed at load */
	char (*kinds)[TAP_MAX_PRINTF_ARGS + 1];
	__u32 *args_size;		/* payload bytes of each format */
	struct tap_buf out;		/* the script's output stream */
	int out_fd;
	int json;			/* -j: JSON lines on stderr */
	int quiet_warnings;		/* -w: no warnings at all (stap -w) */
	__u64 user_errors;		/* errors in user-side handlers */
	__u64 bad_records;		/* records that did not decode */
	enum tap_stop_reason stop_reason;
	/* context of user-side handlers, room for the module's errmsg */
	union {
		struct tap_context c;
		char room[sizeof(struct tap_context) + TAP_MAXSTRINGLEN_MAX];
	} uctx;
	/* printf arguments of user-side handlers: 32 strings at most */
	char scratch[TAP_MAX_PRINTF_ARGS * TAP_MAXSTRINGLEN_MAX];
};

extern struct tap_rt tap_rt;

/* Prepares formats for the module's limits; 0, or -1 with a message. */
int tap_rt_init(const struct tap_module *mod,
		const struct tap_build_limits *limits, int out_fd, char *err,
		size_t errsize);
void tap_rt_flush(void);

/* Runs one user-side probe handler with a fresh context. */
void tap_rt_run_probe(int index);
/* The same for a procfs probe: $value is `buf`, `size` bytes with the NUL. */
void tap_rt_run_procfs(int index, char *buf, __u32 size);

/* Formats the printf arguments of format `fmt` (TAP_ARGS_SIZE layout). */
void tap_rt_format(struct tap_buf *o, long field_max, __u32 fmt,
		   const char *args);

/* Ring buffer callback (libbpf ring_buffer_sample_fn). */
int tap_rt_handle_record(void *ctx, void *data, size_t size);

/* Asks the session to stop (first reason wins). */
void tap_rt_request_stop(enum tap_stop_reason why);

/* stderr reporting: stap's text, or JSON lines with -j */
void tap_report_error(__u32 probe, __u32 code, __u32 loc, __s64 arg,
		      const char *msg);
void tap_report_warning(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void tap_report_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void tap_report_event(const char *type, const char *reason);
void tap_report_summary(__u64 errors, __u64 skipped, __u64 lost, int status);

#endif /* TAP_USER_RT_H */
