/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data shared between the kernel side and the user side of a module:
 * ring buffer records, session state, statistics. Only fixed-width types
 * (__u32, __s64 ... from vmlinux.h, <linux/types.h> or the kernel), so that
 * clang -target bpf, the host C compiler and kbuild agree on every layout.
 */
#ifndef TAP_ABI_H
#define TAP_ABI_H

#ifndef __bpf__
#include <linux/types.h>	/* the kernel side has them from vmlinux.h */
#endif
#include "tap_limits.h"

/* Bumped whenever a layout here or the user-part interface changes (7: procfs probes). */
#define TAP_ABI_VERSION 10

/*
 * The build-time limits a module was compiled with. The user part exports
 * them (TAP_MODULE defines `tap_build_limits`), so that taprun decodes the
 * module's records and sizes its buffers for the module, not for itself.
 */
struct tap_build_limits {
	__u32 maxstringlen;
	__u32 maxaction_interruptible;
	__s32 hist_width;
	__s32 hist_elision;
	/* defaults of the load-time limits (taprun -D overrides them) */
	__u32 maxmapentries;
	__u32 maxerrors;
	__u32 maxskipped;
	__u32 reserved;
};

/* The largest MAXSTRINGLEN any module may use (tap_limits.h checks it). */
#define TAP_MAXSTRINGLEN_MAX 4096

/* Session states, as stap's STAP_SESSION_*. */
enum tap_state {
	TAP_STATE_STARTING = 0,	/* begin probes running, kernel probes idle */
	TAP_STATE_RUNNING = 1,
	TAP_STATE_STOPPING = 2,	/* exit(), -T, signal: end probes next */
	TAP_STATE_ERROR = 3,	/* too many errors: error probes next */
	TAP_STATE_STOPPED = 4,	/* abort(): no end and no error probes */
};

/* Run-time errors; messages in tap_error_message(). */
enum tap_errcode {
	TAP_E_NONE = 0,
	TAP_E_DIV0,		/* division by 0 */
	TAP_E_MAP_FULL,		/* Array overflow, check MAXMAPENTRIES */
	TAP_E_MAP_SIZE,		/* Array overflow, check size limit (arg) */
	TAP_E_MAXACTION,	/* MAXACTION exceeded */
	TAP_E_MAXNESTING,	/* MAXNESTING exceeded */
	TAP_E_EMPTY_AGG,	/* empty aggregate */
	TAP_E_HIST_INDEX,	/* histogram index out of range */
	TAP_E_AGG_OVERFLOW,	/* aggregation overflow */
	TAP_E_USER,		/* error(msg): the message is in the record */
	TAP_E_STRING,		/* stringat(): the position is outside the string */
	TAP_E_KREAD_LONG,	/* kernel_long(): fault at the address (arg) */
	TAP_E_KREAD_INT,	/* kernel_int() */
	TAP_E_KREAD_SHORT,	/* kernel_short() */
	TAP_E_KREAD_CHAR,	/* kernel_char() */
	TAP_E_KREAD,		/* @cast(...)->member: fault at the address (arg) */
	TAP_E_UREAD,		/* a user-space parameter's member chain: fault at the address (arg) */
	TAP_E_CPU_OFFLINE,	/* cpu_clock_ns(cpu): cpu (arg) is not online */
	TAP_E_UNWIND,		/* callers(n), stack(n): the stack ends above level n (arg) */
	TAP_E_USTRING,		/* stap's user_string_n(): fault at the address (arg) */
	TAP_E_KREAD_POINTER,	/* kernel_pointer() */
	TAP_E_COUNT
};

/* tz_name()'s room, its terminating NUL included. */
#define TAP_TZ_NAME_LEN 16

/* Per-session counters, one slot each in a per-CPU array. */
enum tap_counter {
	TAP_CNT_LOST = 0,	/* records dropped: ring buffer full */
	TAP_CNT_SKIPPED,	/* handlers not run (no context, reentrancy) */
	TAP_CNT_MAX
};

/*
 * Shared session state: one entry of an mmap-able array. The user side
 * sets state and limits; kernel-side probes read state on entry, move it
 * to STOPPING on exit() and to ERROR past maxerrors.
 */
struct tap_session {
	__u64 state;		/* enum tap_state (64 bits: BPF atomics) */
	__u64 maxerrors;
	__u64 errors;		/* uncaught errors in kernel-side handlers */
	__s64 boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	__u64 ncpus;		/* possible CPUs: per-CPU values to combine */
	__s64 target;		/* target(): taprun -x PID, else 0 */
	__s64 tz_gmtoff;	/* tz_gmtoff(): seconds west of UTC at taprun's start */
	char tz_name[TAP_TZ_NAME_LEN];	/* tz_name(): the zone's abbreviation then */
	__u64 online_cpus;	/* num_online_cpus() at taprun's start (bpf has no helper for it) */
	__s64 stp_pid;		/* stp_pid(): taprun's pid, as stap's is stapio's */
};

/* Ring buffer records. Every record starts with this header. */
enum tap_rec_kind {
	TAP_REC_PRINTF = 1,	/* id = format index; payload = arguments */
	TAP_REC_ERROR = 2,	/* payload = struct tap_rec_error */
	TAP_REC_EXIT = 3,	/* exit() called in a kernel-side probe */
	TAP_REC_BACKTRACE = 4,	/* print_backtrace(): struct tap_rec_backtrace */
	TAP_REC_HIST = 5,	/* print(@hist_*(s[k])): id = index in maps; key follows */
	TAP_REC_UBACKTRACE = 6,	/* print_ubacktrace(): struct tap_rec_ubacktrace */
	TAP_REC_UMAPS = 7,	/* ubacktrace() in a process: id = its pid, whose mappings to keep */
	TAP_REC_WARN = 8,	/* warn("msg"): struct tap_rec_error, code 0 */
	TAP_REC_STACK = 9,	/* print_stack(stk) in a kernel-side probe: the string follows */
	TAP_REC_SYSTEM = 10,	/* system(cmd) in a kernel-side probe: the command follows */
	TAP_REC_PRINTK = 11,	/* printk(level, msg) in a kernel-side probe: id = level; the message follows */
};

struct tap_rec_hdr {
	__u32 kind;
	__u32 id;
};

/*
 * Printf arguments follow the header, in format order: a long takes 8
 * bytes (__s64), a string MAXSTRINGLEN bytes (NUL-terminated inside).
 */
#define TAP_ARGS_SIZE(nlongs, nstrings) \
	((nlongs) * 8 + (nstrings) * MAXSTRINGLEN)

struct tap_rec_error {
	struct tap_rec_hdr hdr;	/* id = probe index */
	__u32 code;		/* enum tap_errcode */
	__u32 loc;		/* location index, or ~0u for none */
	__s64 arg;		/* size limit for TAP_E_MAP_SIZE */
	char msg[MAXSTRINGLEN];	/* TAP_E_USER only; last: its size varies */
};

#define TAP_NO_LOC 0xffffffffu

struct tap_rec_backtrace {
	struct tap_rec_hdr hdr;	/* id = probe index */
	__s64 bytes;		/* of frames filled (bpf_get_stack); < 0: none */
	__u64 frames[MAXBACKTRACE];	/* innermost first; last: size varies */
};

/* A frame as bpf_get_stack(BPF_F_USER_BUILD_ID) gives it (struct bpf_stack_build_id). */
struct tap_stack_id {
	__s32 status;		/* 1: build_id and offset; 2: only the address */
	unsigned char build_id[20];
	__u64 offset;		/* in the file; the address when status is 2 */
};

/*
 * A user stack, twice: the addresses, and each frame's file (build-id)
 * and offset, taken at the event, so that a process gone by the time the
 * record is read still has its frames named.
 */
/* tap_rec_ubacktrace.flags */
#define TAP_USTACK_BRIEF 1

struct tap_rec_ubacktrace {
	struct tap_rec_hdr hdr;	/* id = probe index */
	__u32 pid;		/* the process (tgid) whose stack it is */
	__u32 flags;		/* TAP_USTACK_BRIEF: print_ubacktrace_brief() */
	__s64 bytes;		/* of frames filled (bpf_get_stack); < 0: none */
	__s64 id_bytes;		/* of ids filled */
	__u64 frames[MAXBACKTRACE];	/* innermost first */
	/* the same frames; where they start varies with MAXBACKTRACE */
	struct tap_stack_id ids[MAXBACKTRACE];
};

/*
 * Statistic accumulator, one per CPU (and per key); the layout and the
 * arithmetic follow stap's struct stat_data so that @avg and @variance come
 * out bit for bit the same. `hist` has desc->buckets entries.
 */
struct tap_stat_data {
	__s64 count;
	__s64 sum;
	__s64 min, max;
	__s64 avg_s;
	__s64 m2;
	__s64 variance_s;
	__s64 variance;		/* filled when aggregating */
	__s64 hist[];
};

enum tap_hist_type { TAP_HIST_NONE = 0, TAP_HIST_LOG, TAP_HIST_LINEAR };

/* What a statistic collects: fixed at compile time by the generator. */
struct tap_stat_desc {
	__s32 type;		/* enum tap_hist_type */
	__s32 start, stop, interval;	/* linear only */
	__s32 buckets;		/* 0, 128 (log), (stop-start)/interval + 3 */
	__s32 bit_shift;	/* @variance(s, N) */
};

/* Linear bucket count as stap computes it (0 when parameters are bad). */
#define TAP_LINEAR_BUCKETS(start, stop, interval) \
	((interval) != 0 && ((stop) - (start)) / (interval) + 3 >= 3 && \
	 ((stop) - (start)) / (interval) + 3 <= TAP_HIST_MAX_BUCKETS ? \
	 ((stop) - (start)) / (interval) + 3 : 0)

/*
 * A read of kernel memory for a user-side probe (kernel_string(),
 * kernel_long(), @cast in begin, end or timer probes, which stap runs in
 * the kernel): taprun writes the request into the module's mmap-ed
 * tap_kread map, runs its reader program once (BPF_PROG_TEST_RUN) and
 * takes the result from the same place. As tap_member_read(): steps[0] is
 * added to addr, a pointer loaded before each further step; then `size`
 * bytes (1, 2, 4 or 8) into `value`, or with size 0 a string into the
 * MAXSTRINGLEN bytes that follow the request.
 */
#define TAP_KREAD_STEPS 16

struct tap_kread_req {
	__u64 addr;
	__s64 steps[TAP_KREAD_STEPS];
	__s32 n, size, is_signed, status;	/* status: nonzero on a fault; n 0: jiffies() into value */
	__s64 fault;				/* the address that faulted */
	__s64 value;
};

#endif /* TAP_ABI_H */
