/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-handler context every generated handler and function receives as
 * `c`, as stap's struct context: the error state of the running handler,
 * its statement budget and call depth. Kernel side: one per CPU; user side
 * (begin/end/error/timers): one for the session.
 */
#ifndef TAP_CONTEXT_H
#define TAP_CONTEXT_H

#include "tap_abi.h"

struct tap_context {
	__u32 probe;		/* index in the module's probe table */
	__u32 last_error;	/* enum tap_errcode; 0: no error */
	__u32 last_loc;		/* index in the location table, or TAP_NO_LOC */
	__s32 nesting;		/* script function call depth */
	__s64 error_arg;	/* TAP_E_MAP_SIZE: the declared size */
	__s64 actionremaining;	/* MAXACTION budget left */
	__u64 hit;		/* bpf: counts the handlers run on this CPU (tap_usyms_k.h) */
	/* procfs probes (tap_procfs.h): the file's text, NUL-terminated
	 * within procfs_size bytes; set only while one runs */
	char *procfs_buf;
	__u32 procfs_size;
	/* last: its size is the module's MAXSTRINGLEN, not the runtime's */
	char errmsg[MAXSTRINGLEN];	/* error("msg") */
};

/* Raise a run-time error; the generated code then jumps to its handler's
 * `out:` label (or to the enclosing catch block). */
#define TAP_ERROR(c, code, loc) \
	((void)((c)->last_error = (code)), (void)((c)->last_loc = (loc)))
#define TAP_ERROR_ARG(c, code, loc, arg) \
	((void)((c)->error_arg = (arg)), TAP_ERROR(c, code, loc))

/* After a catch block took the error (try/catch). */
#define TAP_ERROR_CLEAR(c) \
	((void)((c)->last_error = TAP_E_NONE), (void)((c)->last_loc = TAP_NO_LOC))

/* Around a script function call: true when MAXNESTING is exceeded. */
#define TAP_NEST_EXCEEDED(c, loc) \
	(++(c)->nesting > MAXNESTING && (TAP_ERROR(c, TAP_E_MAXNESTING, loc), 1))
#define TAP_NEST_LEAVE(c) ((void)((c)->nesting--))

/* Charge `n` statements; true when the budget is spent (MAXACTION). */
#define TAP_ACTIONS_EXCEEDED(c, n, loc) \
	(((c)->actionremaining -= (n)) < 0 && \
	 (TAP_ERROR(c, TAP_E_MAXACTION, loc), 1))

#endif /* TAP_CONTEXT_H */
