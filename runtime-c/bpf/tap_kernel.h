/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime API, kernel side of the bpf runtime (clang -target bpf, CO-RE
 * against the target's vmlinux.h). Everything is inline: handlers must pass
 * the verifier, so sizes are compile-time constants and loops are bounded.
 */
#ifndef TAP_KERNEL_H
#define TAP_KERNEL_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tap_limits.h"
#include "tap_abi.h"
#include "tap_arith.h"
#include "tap_context.h"
#include "tap_stat_add.h"

#define TAP_KEY_STR(dst, src) \
	(__builtin_memset((dst), 0, sizeof(dst)), \
	 (void)bpf_probe_read_kernel_str((dst), sizeof(dst), (src)))
/*
 * Nothing to clear: a key is strings (MAP_STRING_LENGTH or 16 bytes, a
 * multiple of 8, each written to its end by TAP_KEY_STR) and longs, so it
 * has no padding;
 * and clang makes a __builtin_memset of a key over 1 KiB (two strings) a
 * call, which BPF has not.
 */
#define TAP_KEY_CLEAR(key) ((void)0)
_Static_assert(MAP_STRING_LENGTH % 8 == 0, "array keys would have padding");
#include "tap_decl.h"
#include "tap_errno.h"
#include "tap_ctime.h"

#define TAP_SIDE_KERNEL 1
#define TAP_SIDE_USER 0

#if (MAXSTRINGLEN & (MAXSTRINGLEN - 1)) != 0
#error "the bpf runtime needs MAXSTRINGLEN to be a power of two"
#endif

typedef __s64 tap_long;
typedef char tap_string[MAXSTRINGLEN];

char TAP_LICENSE[] SEC("license") = "GPL";

/* Ring buffer for output, errors and exit(); taprun sizes it (-s). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} tap_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tap_session);
} tap_session SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TAP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tap_counters SEC(".maps");

/*
 * One per-CPU value of `vtype`: a handler's context, or the state of a
 * bpf_loop() walk (a map value, whose fields the verifier follows where it
 * loses track of a stack slot across the callback).
 */
#define TAP_PERCPU_STATE(name, vtype) \
	struct { \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1); \
		__type(key, __u32); \
		__type(value, vtype); \
	} name SEC(".maps")

TAP_PERCPU_STATE(tap_contexts, struct tap_context);

/* A zeroed statistic accumulator, the initial value of new keys. */
struct tap_stat_zero_value {
	__s64 w[8 + TAP_HIST_MAX_BUCKETS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tap_stat_zero_value);
} tap_stat_zero SEC(".maps");

static __always_inline void tap_count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&tap_counters, &which);

	if (n)
		*n += 1;
}

/* ---- declarations the generator emits ---- */

/* The script's scalar globals, one mmap-able entry shared with user side. */
#define TAP_GLOBALS(gtype) \
	struct { \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(map_flags, BPF_F_MMAPABLE); \
		__uint(max_entries, 1); \
		__type(key, __u32); \
		__type(value, gtype); \
	} tap_globals SEC(".maps")

/* An associative array: key and value types are generator structs. */
#define TAP_ARRAY(name, ktype, vtype, size) \
	struct { \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(max_entries, (size) ? (size) : MAXMAPENTRIES); \
		__type(key, ktype); \
		__type(value, vtype); \
	} name SEC(".maps")

/*
 * A statistics array (a scalar statistic has one key, __u32 0). Allocated
 * as keys appear: preallocating MAXMAPENTRIES histograms on every CPU
 * would take ~1 KiB x 2048 x CPUs up front.
 */
#define TAP_STATS(name, ktype, size) \
	struct { \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH); \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__uint(max_entries, (size) ? (size) : MAXMAPENTRIES); \
		__type(key, ktype); \
		__type(value, struct name##_value); \
	} name SEC(".maps")

/*
 * Locals of one script function: one per CPU (the BPF stack is 512 bytes).
 * A function runs inside a handler and is never recursive, so its own map
 * never holds two frames.
 */
#define TAP_LOCALS(fn, ltype) TAP_PERCPU_STATE(fn##_lmap, ltype)

/*
 * Locals of probe handlers: one map for all of them, its value the union
 * of their structs (pass 3 emits union tap_probe_frames, and #defines each
 * handler's PROBE_lmap as tap_probe_locals for TAP_LOCALS_GET). A CPU runs
 * one handler at a time, as the context in tap_contexts assumes too; one
 * map instead of one per probe keeps a 700-probe module's maps and BTF
 * small (clang's BTF emission grew with the square of the map count).
 * The map's value is bytes of the union's size: as the union itself, its
 * BTF would describe every struct again (12 s of clang for 723 probes).
 */
#define TAP_PROBE_LOCALS_MAP() \
	struct tap_probe_frame { \
		char bytes[sizeof(union tap_probe_frames)]; \
	}; \
	TAP_PERCPU_STATE(tap_probe_locals, struct tap_probe_frame)

/*
 * Many syscall probes through raw_syscalls' two raw tracepoints
 * (controller/translate/syscall-dispatch.ts): program arrays indexed by
 * the syscall's number, and the dispatchers that tail-call into the first
 * one (taprun fills the arrays, then attaches the dispatchers).
 */
#define TAP_SYSCALL_ARRAY(name, slots) \
	struct { \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY); \
		__uint(max_entries, slots); \
		__type(key, __u32); \
		__type(value, __u32); \
	} name SEC(".maps")

/* sys_enter(regs, id), sys_exit(regs, ret): the registers at the call */
#define TAP_SYSCALL_REGS(ctx) \
	((struct pt_regs *)((struct bpf_raw_tracepoint_args *)(ctx))->args[0])

static __always_inline __u32 tap_syscall_nr_enter(void *ctx)
{
	return (__u32)((struct bpf_raw_tracepoint_args *)ctx)->args[1];
}

static __always_inline __u32 tap_syscall_nr_exit(void *ctx)
{
	return (__u32)BPF_CORE_READ(TAP_SYSCALL_REGS(ctx), orig_ax);
}

/*
 * A 32-bit (ia32) system call numbers its calls otherwise: the syscalls:*
 * tracepoints leave those out (trace_get_syscall_nr() is -1 for them), and
 * so do the dispatchers (x86's TS_COMPAT in the task's thread_info).
 */
#define TAP_TS_COMPAT 0x0002

static __always_inline int tap_compat_syscall(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return (BPF_CORE_READ(t, thread_info.status) & TAP_TS_COMPAT) != 0;
}

#define TAP_SYSCALL_DISPATCHER(dir, first) \
	SEC("raw_tp/sys_" #dir) int tap_sys_##dir(void *ctx) \
	{ \
		if (!tap_compat_syscall()) \
			bpf_tail_call(ctx, &first, tap_syscall_nr_##dir(ctx)); \
		return 0; \
	}

/*
 * The probe-table index of the point a shared handler runs for: taprun
 * attaches each point with its index as the link's cookie (one program may
 * serve many points: a uprobe wildcard's).
 */
#define TAP_ATTACH_INDEX(ctx) ((__u32)bpf_get_attach_cookie(ctx))

/* A kernel-side probe handler; `section` tells libbpf how to attach. */
#define TAP_KERNEL_PROBE(fn, section, ctxtype) \
	SEC(section) int fn(ctxtype ctx)

/* Key 0 of single-entry maps, on the stack: a static would land in .rodata,
 * where clang 14 emits BTF that the kernel rejects. */
#define tap_zero_key ((__u32){ 0 })

#define TAP_LOCALS_GET(fn) bpf_map_lookup_elem(&fn##_lmap, &tap_zero_key)
#define TAP_GLOBALS_GET() bpf_map_lookup_elem(&tap_globals, &tap_zero_key)

/* ---- handler entry and exit ---- */

/*
 * Returns the CPU's context for probe `probe`, or NULL when the handler
 * must not run: the session is not RUNNING (before begin ends, after exit)
 * or no context is available (counted as a skipped probe).
 */
static __always_inline struct tap_context *tap_probe_enter(__u32 probe)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);
	struct tap_context *c;

	if (!s || s->state != TAP_STATE_RUNNING)
		return NULL;
	c = bpf_map_lookup_elem(&tap_contexts, &tap_zero_key);
	if (!c) {
		tap_count(TAP_CNT_SKIPPED);
		return NULL;
	}
	c->probe = probe;
	c->last_error = TAP_E_NONE;
	c->last_loc = TAP_NO_LOC;
	c->nesting = 0;
	c->error_arg = 0;
	c->actionremaining = MAXACTION;
	c->hit++;
	c->errmsg[0] = '\0';
	return c;
}

/*
 * The running handler's context again, from inside a bpf_loop() callback
 * (script loops): per-CPU, so it is the one tap_probe_enter() returned.
 */
static __always_inline struct tap_context *tap_context_get(void)
{
	return bpf_map_lookup_elem(&tap_contexts, &tap_zero_key);
}

/* Reports an uncaught error; past MAXERRORS the session stops. */
static __always_inline void tap_report_error(struct tap_context *c)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);
	struct tap_rec_error *r;
	__u64 errors;

	if (!s)
		return;
	errors = __sync_fetch_and_add(&s->errors, 1) + 1;
	r = bpf_ringbuf_reserve(&tap_events, sizeof(*r), 0);
	if (r) {
		r->hdr.kind = TAP_REC_ERROR;
		r->hdr.id = c->probe;
		r->code = c->last_error;
		r->loc = c->last_loc;
		r->arg = c->error_arg;
		if (c->last_error == TAP_E_USER)
			bpf_probe_read_kernel_str(r->msg, sizeof(r->msg), c->errmsg);
		else
			r->msg[0] = '\0';
		bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	} else {
		tap_count(TAP_CNT_LOST);
	}
	if (errors > s->maxerrors)
		__sync_val_compare_and_swap(&s->state, TAP_STATE_RUNNING,
					    TAP_STATE_ERROR);
}

/* The handler's epilogue, at its `out:` label. Returns 0 for the program. */
static __always_inline int tap_probe_leave(struct tap_context *c)
{
	if (c->last_error)
		tap_report_error(c);
	return 0;
}

/* exit(): no more kernel-side handlers; the user side runs the end probes. */
static __always_inline void tap_exit(struct tap_context *c)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);
	struct tap_rec_hdr *h;

	if (s)
		__sync_val_compare_and_swap(&s->state, TAP_STATE_RUNNING,
					    TAP_STATE_STOPPING);
	h = bpf_ringbuf_reserve(&tap_events, sizeof(*h), 0);
	if (!h) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	h->kind = TAP_REC_EXIT;
	h->id = c->probe;
	bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
}

/* abort(): stop at once; neither end nor error probes run */
static __always_inline void tap_abort(struct tap_context *c)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);
	struct tap_rec_hdr *h;

	if (s)
		__sync_val_compare_and_swap(&s->state, TAP_STATE_RUNNING,
					    TAP_STATE_STOPPED);
	h = bpf_ringbuf_reserve(&tap_events, sizeof(*h), 0);
	if (!h) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	h->kind = TAP_REC_EXIT;
	h->id = c->probe;
	bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
}

/* warn("msg"): taprun prints it as a WARNING; the probe goes on */
static __always_inline void tap_warn(struct tap_context *c, const char *msg)
{
	struct tap_rec_error *r = bpf_ringbuf_reserve(&tap_events, sizeof(*r), 0);

	if (!r) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	r->hdr.kind = TAP_REC_WARN;
	r->hdr.id = c->probe;
	r->code = 0;
	r->loc = TAP_NO_LOC;
	r->arg = 0;
	bpf_probe_read_kernel_str(r->msg, sizeof(r->msg), msg);
	bpf_ringbuf_submit(r, 0);
}

/* error("msg") */
static __always_inline void tap_error_user(struct tap_context *c,
					   const char *msg)
{
	bpf_probe_read_kernel_str(c->errmsg, sizeof(c->errmsg), msg);
	TAP_ERROR(c, TAP_E_USER, TAP_NO_LOC);
}

static __always_inline void tap_str_copy(char *dst, const char *src)
{
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, src);
}

/* stap's messages, for catch variables (user side: common/tap_errors.c) */
const char tap_error_messages[TAP_E_COUNT][40] = {
	[TAP_E_DIV0] = "division by 0",
	[TAP_E_MAP_FULL] = "Array overflow, check MAXMAPENTRIES",
	[TAP_E_MAXACTION] = "MAXACTION exceeded",
	[TAP_E_MAXNESTING] = "MAXNESTING exceeded",
	[TAP_E_EMPTY_AGG] = "empty aggregate",
	[TAP_E_HIST_INDEX] = "histogram index out of range",
	[TAP_E_AGG_OVERFLOW] = "aggregation overflow",
	[TAP_E_STRING] = "Position out of bounds",
};
const char tap_map_size_message[] = "Array overflow, check size limit (%d)";
const char tap_cpu_offline_message[] = "cpu %d is not online";
const char tap_unwind_message[] = "reached end of stack before unwinding to level %d";
const char tap_kread_long_message[] = "kernel long copy fault at 0x%llx [man error::fault]";
const char tap_kread_int_message[] = "kernel int copy fault at 0x%llx [man error::fault]";
const char tap_kread_short_message[] = "kernel short copy fault at 0x%llx [man error::fault]";
const char tap_kread_char_message[] = "kernel char copy fault at 0x%llx [man error::fault]";
/* a member chain's fault, kernel or user memory: stap's loc2c-runtime words */
const char tap_read_message[] = "read fault [man error::fault] at 0x%llx";
const char tap_ustring_message[] = "user string copy fault -14 at 0x%llx [man error::fault]";
const char tap_kread_pointer_message[] = "kernel pointer copy fault at 0x%llx [man error::fault]";

/* catch (e): e = the bare message of the error being caught */
static __always_inline void tap_error_message(struct tap_context *c, char *dst)
{
	__u32 code = c->last_error;

	if (code == TAP_E_USER) {
		tap_str_copy(dst, c->errmsg);
	} else if (code == TAP_E_MAP_SIZE || code == TAP_E_CPU_OFFLINE || code == TAP_E_UNWIND) {
		__u64 arg = c->error_arg;
		const char *fmt = code == TAP_E_MAP_SIZE ? tap_map_size_message :
				  code == TAP_E_CPU_OFFLINE ? tap_cpu_offline_message :
				  tap_unwind_message;

		bpf_snprintf(dst, MAXSTRINGLEN, fmt, &arg, sizeof(arg));
	} else if ((code >= TAP_E_KREAD_LONG && code <= TAP_E_UREAD) ||
		   code == TAP_E_USTRING || code == TAP_E_KREAD_POINTER) {
		__u64 arg = c->error_arg;
		const char *fmt = code == TAP_E_KREAD_LONG ? tap_kread_long_message :
				  code == TAP_E_KREAD_INT ? tap_kread_int_message :
				  code == TAP_E_KREAD_SHORT ? tap_kread_short_message :
				  code == TAP_E_KREAD_CHAR ? tap_kread_char_message :
				  code == TAP_E_USTRING ? tap_ustring_message :
				  code == TAP_E_KREAD_POINTER ? tap_kread_pointer_message :
				  tap_read_message;

		bpf_snprintf(dst, MAXSTRINGLEN, fmt, &arg, sizeof(arg));
	} else if (code < TAP_E_COUNT) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN,
					  tap_error_messages[code]);
	} else {
		dst[0] = '\0';
	}
}

/* ---- output ---- */

/*
 * printf: reserve a record for format `fmt` with `size` bytes of
 * arguments (TAP_ARGS_SIZE), fill it with tap_arg_*(), submit it. Every
 * argument is computed before the reserve: nothing may fail in between.
 * NULL (ring buffer full) is counted and reported at the end.
 */
static __always_inline void *tap_printf_reserve(struct tap_context *c,
						__u32 fmt, __u32 size)
{
	struct tap_rec_hdr *h = bpf_ringbuf_reserve(&tap_events,
						    sizeof(*h) + size, 0);

	if (!h) {
		tap_count(TAP_CNT_LOST);
		return NULL;
	}
	h->kind = TAP_REC_PRINTF;
	h->id = fmt;
	return h + 1;
}

/*
 * Records go out without a wakeup (one costs ~2 us): taprun drains every
 * 100 ms. Under a flood that is too late, so while the ring is more than
 * a sixteenth full, records wake taprun (it then drains all of it).
 */
static __always_inline __u64 tap_wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&tap_events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&tap_events, BPF_RB_RING_SIZE);

	return avail > size / 16 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void tap_printf_submit(struct tap_context *c, void *args)
{
	bpf_ringbuf_submit((struct tap_rec_hdr *)args - 1, tap_wakeup_flags());
}

static __always_inline void tap_arg_long(void *args, __u32 off, tap_long v)
{
	*(tap_long *)((char *)args + off) = v;
}

static __always_inline void tap_arg_str(void *args, __u32 off, const char *s)
{
	bpf_probe_read_kernel_str((char *)args + off, MAXSTRINGLEN, s);
}

/* ---- backtraces ---- */

/* print_backtrace(): the kernel stack travels in the record; the user side
 * symbolises it with /proc/kallsyms. */
static __always_inline void tap_print_backtrace(struct tap_context *c, void *ctx)
{
	struct tap_rec_backtrace *r;

	r = bpf_ringbuf_reserve(&tap_events, sizeof(*r), 0);
	if (!r) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	r->hdr.kind = TAP_REC_BACKTRACE;
	r->hdr.id = c->probe;
	r->bytes = bpf_get_stack(ctx, r->frames, sizeof(r->frames), 0);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

/* A record of a kind whose payload is one string (TAP_REC_STACK, TAP_REC_SYSTEM, TAP_REC_PRINTK). */
static __always_inline void tap_string_record(struct tap_context *c, __u32 kind, __u32 id, const char *s)
{
	struct tap_rec_hdr *h;

	h = bpf_ringbuf_reserve(&tap_events, sizeof(*h) + MAXSTRINGLEN, 0);
	if (!h) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	h->kind = kind;
	h->id = id;
	bpf_probe_read_kernel_str(h + 1, MAXSTRINGLEN, s);
	bpf_ringbuf_submit(h, BPF_RB_NO_WAKEUP);
}

/* print_stack(stk): the backtrace() string travels; the user side names
 * each address as print_backtrace() does. */
static __always_inline void tap_print_stack_k(struct tap_context *c, const char *stk)
{
	tap_string_record(c, TAP_REC_STACK, c->probe, stk);
}

/* system(cmd): taprun runs the command once the record arrives (after the
 * probe, as stap's starts it). */
static __always_inline void tap_system_k(struct tap_context *c, const char *cmd)
{
	tap_string_record(c, TAP_REC_SYSTEM, c->probe, cmd);
}

/* printk(level, msg): the user side writes the kernel log (/dev/kmsg). */
static __always_inline void tap_printk_k(struct tap_context *c, tap_long level, const char *msg)
{
	tap_string_record(c, TAP_REC_PRINTK, (__u32)level & 7, msg);
}

/* print_ubacktrace() (flags 0) and print_ubacktrace_brief() (TAP_USTACK_BRIEF):
 * the user stack, by address and by file and offset, resolved by the user
 * side through the files' symbols. */
static __always_inline void tap_user_stack_record(struct tap_context *c, void *ctx, __u32 flags)
{
	struct tap_rec_ubacktrace *r;

	r = bpf_ringbuf_reserve(&tap_events, sizeof(*r), 0);
	if (!r) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	r->hdr.kind = TAP_REC_UBACKTRACE;
	r->hdr.id = c->probe;
	r->pid = bpf_get_current_pid_tgid() >> 32;
	r->flags = flags;
	r->bytes = bpf_get_stack(ctx, r->frames, sizeof(r->frames), BPF_F_USER_STACK);
	r->id_bytes = bpf_get_stack(ctx, r->ids, sizeof(r->ids),
				    BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

#define tap_print_ubacktrace(c, ctx) tap_user_stack_record(c, ctx, 0)
#define tap_print_ubacktrace_brief(c, ctx) tap_user_stack_record(c, ctx, TAP_USTACK_BRIEF)

/*
 * ubacktrace(): the user stack as stap's string of addresses,
 * "0x4005d6 0x7f3a8c029d90". The user side names them later
 * (print_ustack), through the mappings of the processes the stacks came
 * from: the first stack of a process asks taprun to keep its mappings.
 */
struct tap_ustack_scratch {
	__u64 frames[MAXBACKTRACE];
};
TAP_PERCPU_STATE(tap_ustack_scratches, struct tap_ustack_scratch);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} tap_ustack_pids SEC(".maps");

#define TAP_USTACK_FRAME 20
const char tap_ustack_first[] = "0x%llx";
const char tap_ustack_next[] = " 0x%llx";

static __always_inline void tap_ustack_note(__u32 pid)
{
	struct tap_rec_hdr *r;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&tap_ustack_pids, &pid))
		return;
	bpf_map_update_elem(&tap_ustack_pids, &pid, &one, BPF_ANY);
	r = bpf_ringbuf_reserve(&tap_events, sizeof(*r), 0);
	if (!r) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	r->kind = TAP_REC_UMAPS;
	r->id = pid;
	/* at once: the process may not live long */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

/*
 * The stack `flags` names (BPF_F_USER_STACK, or 0: the kernel's) as stap's
 * string of addresses into dst, at most `max` of them; the bytes
 * bpf_get_stack() gave (<= 0: none).
 */
static __always_inline long tap_stack_string(char *dst, void *ctx, __u64 flags, int max)
{
	struct tap_ustack_scratch *s = bpf_map_lookup_elem(&tap_ustack_scratches, &tap_zero_key);
	__u64 len = 0, at;
	long bytes, n;
	int i;

	dst[0] = '\0';
	if (!s)
		return 0;
	bytes = bpf_get_stack(ctx, s->frames, sizeof(s->frames), flags);
	for (i = 0; i < MAXBACKTRACE; i++) {
		if (i >= max || (long)(i * 8) >= bytes || !s->frames[i])
			break;
		/*
		 * One frame takes at most TAP_USTACK_FRAME bytes (" 0x" and 16
		 * digits, NUL); the check is on the register the verifier sees
		 * (the barrier keeps clang from reusing what it knows of len).
		 */
		at = len;
		asm volatile("" : "+r"(at));
		if (at > MAXSTRINGLEN - TAP_USTACK_FRAME)
			break;
		n = bpf_snprintf(dst + at, TAP_USTACK_FRAME,
				 i ? tap_ustack_next : tap_ustack_first, &s->frames[i], 8);
		if (n <= 0)
			break;
		len += n - 1;
	}
	return bytes;
}

static __always_inline void tap_ubacktrace(char *dst, void *ctx)
{
	if (tap_stack_string(dst, ctx, BPF_F_USER_STACK, MAXBACKTRACE) > 0)
		tap_ustack_note(bpf_get_current_pid_tgid() >> 32);
}

/* backtrace(): the kernel stack at the probe, "0xffffffff81234567 0x...", named on the user side (print_stack) */
static __always_inline void tap_backtrace(char *dst, void *ctx)
{
	tap_stack_string(dst, ctx, 0, MAXBACKTRACE);
}

/*
 * callers(n) and ucallers(n) (flags BPF_F_USER_STACK): the first n + 1
 * addresses of backtrace() or ubacktrace() (n = -1: all of them), cut at
 * MAXSTRINGLEN as stap's; -1 where the stack is shallower.
 */
static __always_inline int tap_callers(char *dst, void *ctx, tap_long n, __u64 flags)
{
	struct tap_ustack_scratch *s;
	long bytes = tap_stack_string(dst, ctx, flags, n < 0 || n >= MAXBACKTRACE ? MAXBACKTRACE : n + 1);

	if (flags && bytes > 0)
		tap_ustack_note(bpf_get_current_pid_tgid() >> 32);
	if (n < 0)
		return 0;
	s = bpf_map_lookup_elem(&tap_ustack_scratches, &tap_zero_key);
	if (!s || n >= MAXBACKTRACE || (n + 1) * 8 > bytes || !s->frames[n])
		return -1;
	return 0;
}

/* stack(n) and ustack(n): the frame at depth n (0: the probed instruction) into *addr; -1 where there is none */
static __always_inline int tap_stack_at(void *ctx, tap_long n, tap_long *addr, __u64 flags)
{
	struct tap_ustack_scratch *s = bpf_map_lookup_elem(&tap_ustack_scratches, &tap_zero_key);
	long bytes;

	if (!s || n < 0 || n >= MAXBACKTRACE)
		return -1;
	bytes = bpf_get_stack(ctx, s->frames, sizeof(s->frames), flags);
	if ((n + 1) * 8 > bytes || !s->frames[n])
		return -1;
	*addr = (tap_long)s->frames[n];
	return 0;
}

/*
 * s = sprintf(FMT, ...) on the kernel side, through bpf_snprintf: the
 * generator rewrites FMT for the kernel's subset (%d %i %u %x %X with "ll",
 * %s %c, flags "0+- ", widths) into a non-static const global, and passes
 * the arguments as __u64 (strings: their address). Numbers with %o, a
 * precision or "#" it makes into strings first (tap_gen_number()), strings
 * with a precision it cuts first, a "*" width or precision it makes and
 * pads at run time (tap_pad()); %b %m %M need a user-side probe.
 */
#define TAP_SPRINTF_KERNEL(dst, fmt, data, n) \
	bpf_snprintf((dst), MAXSTRINGLEN, (fmt), (data), (n) * sizeof(__u64))

/* ---- strings (tap_str_copy is above) ---- */

#include "tap_syscall_name.h"

/* ctime(secs): the parts from tap_ctime.h, the names from .rodata */
/* 8 and 16 entries: the index is masked, which the verifier can follow */
const char tap_ctime_day_names[8][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
const char tap_ctime_month_names[16][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
const char tap_ctime_format[] = "%s %s%3d %02d:%02d:%02d %d";

static __always_inline void tap_ctime(char *dst, tap_long secs)
{
	struct tap_tm tm;
	__u64 a[7];

	__u32 wday, mon;

	tap_ctime_parts(secs, &tm);
	/* clang knows both are in range and would drop a check; the verifier does not */
	wday = tm.wday;
	mon = tm.mon;
	barrier_var(wday);
	barrier_var(mon);
	a[0] = (__u64)(unsigned long)tap_ctime_day_names[wday & 7];
	a[1] = (__u64)(unsigned long)tap_ctime_month_names[mon & 15];
	a[2] = tm.mday;
	a[3] = tm.hour;
	a[4] = tm.min;
	a[5] = tm.sec;
	a[6] = tm.year;
	bpf_snprintf(dst, MAXSTRINGLEN, tap_ctime_format, a, sizeof(a));
}

/* errno_str(), errno_p(): the names in .rodata, read with a checked index */
const char tap_errno_names[TAP_ERRNO_MAX][TAP_ERRNO_NAME_SIZE] = TAP_ERRNO_NAMES;

static __always_inline tap_long tap_errno_p(tap_long err)
{
	__u64 e = TAP_ERRNO_INDEX(err);

	if (e >= TAP_ERRNO_MAX)
		return 0;
	return tap_errno_names[e][0] ? (tap_long)e : 0;
}

static __always_inline void tap_errno_str(char *dst, tap_long err)
{
	__u64 e = TAP_ERRNO_INDEX(err);

	if (e >= TAP_ERRNO_MAX) {
		dst[0] = '\0';
		return;
	}
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_errno_names[e]);
}

/*
 * String work space, per CPU: twice MAXSTRINGLEN, so that a copy of up to
 * MAXSTRINGLEN bytes to any offset below MAXSTRINGLEN stays inside it, as
 * the verifier can see. Only a running handler uses it (tap_probe_enter()
 * keeps a CPU's handlers from nesting).
 */
struct tap_str_scratch {
	char bytes[2 * MAXSTRINGLEN];
};

TAP_PERCPU_STATE(tap_str_scratches, struct tap_str_scratch);

/*
 * sprint_backtrace(): the kernel stack in stap's simple form, a line a
 * frame: "vfs_read+0x5 [kernel]", a module's "name+0x5 [mod]", an address
 * without a symbol as it is; whole lines, as many as MAXSTRINGLEN holds.
 * The kernel names each frame ("%pS": "vfs_read+0x5/0x1a0 [mod]"); the
 * size goes, "[kernel]" comes where no module is named. One frame per
 * bpf_loop() round, its state in a per-CPU map (see tap_text_str); the
 * lines are written into the string scratch, whose second half takes a
 * line written at any offset below MAXSTRINGLEN (the verifier sees that),
 * and kept only while they end within MAXSTRINGLEN.
 */
#define TAP_SYM_LINE 256
struct tap_symstack_state {
	__u64 frames[MAXBACKTRACE];
	__s64 depth, len;
	char line[TAP_SYM_LINE];
};
TAP_PERCPU_STATE(tap_symstack_states, struct tap_symstack_state);
const char tap_symstack_sym[] = "%pS";
const char tap_symstack_line[] = "%s%s\n";
const char tap_symstack_kernel[] = " [kernel]";
const char tap_symstack_none[] = "";

static __attribute__((unused)) long tap_symstack_step(__u64 i, void *data)
{
	struct tap_symstack_state *st = bpf_map_lookup_elem(&tap_symstack_states, &tap_zero_key);
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	__u64 args[2], at, slash, j;
	long n;

	if (!st || !w || i >= MAXBACKTRACE || (__s64)i >= st->depth || !st->frames[i])
		return 1;
	n = bpf_snprintf(st->line, sizeof(st->line), tap_symstack_sym, &st->frames[i], 8);
	if (n <= 0)
		return 1;
	for (slash = 0; slash < TAP_SYM_LINE - 1; slash++)
		if (st->line[slash] == '/' || !st->line[slash])
			break;
	args[0] = (__u64)(unsigned long)st->line;
	args[1] = (__u64)(unsigned long)tap_symstack_none;
	if (slash < TAP_SYM_LINE - 1 && st->line[slash] == '/') {
		for (j = slash; j < TAP_SYM_LINE - 1; j++)
			if (st->line[j] == ' ' || !st->line[j])
				break;
		args[1] = (__u64)(unsigned long)(j < TAP_SYM_LINE - 1 && st->line[j] == ' ' ?
						 st->line + j : tap_symstack_kernel);
		st->line[slash] = '\0';
	}
	at = st->len;
	asm volatile("" : "+r"(at));
	if (at > MAXSTRINGLEN - 1)
		return 1;
	n = bpf_snprintf(w->bytes + at, MAXSTRINGLEN, tap_symstack_line, args, sizeof(args));
	if (n <= 0 || at + n > MAXSTRINGLEN) {
		w->bytes[at] = '\0';	/* whole lines only */
		return 1;
	}
	st->len = at + n - 1;
	return 0;
}

static __always_inline void tap_sprint_backtrace(char *dst, void *ctx)
{
	struct tap_symstack_state *st = bpf_map_lookup_elem(&tap_symstack_states, &tap_zero_key);
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	long bytes;

	dst[0] = '\0';
	if (!st || !w)
		return;
	bytes = bpf_get_stack(ctx, st->frames, sizeof(st->frames), 0);
	st->depth = bytes > 0 ? (__u64)bytes / 8 : 0;
	st->len = 0;
	w->bytes[0] = '\0';
	bpf_loop(MAXBACKTRACE, tap_symstack_step, NULL, 0);
	bpf_probe_read_kernel(dst, MAXSTRINGLEN, w->bytes);
	dst[MAXSTRINGLEN - 1] = '\0';
}

/*
 * strlen(s), at most MAXSTRINGLEN - 1: the helper's count of what it copied
 * (the NUL counted) into the scratch. A loop that stops at the NUL would
 * leave the verifier a state per place it could stop, at every call: a few
 * string functions in one probe were "too complex".
 */
static __always_inline tap_long tap_str_len(const char *s)
{
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	long n;

	if (!w)
		return 0;
	n = bpf_probe_read_kernel_str(w->bytes, MAXSTRINGLEN, s);
	return n > 0 ? n - 1 : 0;
}

/* a < b, a == b, a > b: like strcmp over at most MAXSTRINGLEN bytes */
/*
 * A key's string member (n bytes, NUL-terminated within them) against a
 * string: equal only if they agree up to the member's NUL; no byte past
 * the member is read (a key in map memory ends there).
 */
static __always_inline int tap_str_ncmp(const char *a, const char *b, int n)
{
	int i;

	for (i = 0; i < n && i < MAXSTRINGLEN; i++) {
		unsigned char x = a[i], y = b[i];

		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			break;
	}
	return 0;
}

static __always_inline int tap_str_cmp(const char *a, const char *b)
{
	return tap_str_ncmp(a, b, MAXSTRINGLEN);
}

/* a < b, a == b, a > b for longs (a sorted foreach's comparators) */
static __always_inline int tap_cmp_long(tap_long a, tap_long b)
{
	return a < b ? -1 : a > b;
}

/*
 * The same, one character per bpf_loop() round, for two strings that both
 * fill MAXSTRINGLEN-byte buffers (locals, temporaries, globals: the
 * translator knows which). Against a literal, the verifier knows the
 * literal's bytes and walks tap_str_cmp() only as far as the literal goes;
 * between two computed strings it would walk every length, at every
 * comparison: a few dozen in a probe were "too complex". Verified once.
 */
struct tap_cmp_ptrs {
	const char *a;
	const char *b;
	int result;
};

static __attribute__((unused)) long tap_cmp_step(__u64 i, void *data)
{
	struct tap_cmp_ptrs *p = data;
	unsigned char x, y;

	if (i >= MAXSTRINGLEN)
		return 1;
	x = p->a[i];
	y = p->b[i];
	if (x != y) {
		p->result = x < y ? -1 : 1;
		return 1;
	}
	return x == 0;
}

static __always_inline int tap_str_cmp_buffers(const char *a, const char *b)
{
	struct tap_cmp_ptrs p = { .a = a, .b = b, .result = 0 };

	bpf_loop(MAXSTRINGLEN, tap_cmp_step, &p, 0);
	return p.result;
}

/*
 * dst .= src, truncated to MAXSTRINGLEN - 1 characters: put together in the
 * scratch (dst's length is not known to the verifier, and dst + length +
 * what is left of MAXSTRINGLEN could pass the end of dst's map value in its
 * eyes), then copied back.
 */
static __always_inline void tap_str_append(char *dst, const char *src)
{
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	long n;

	if (!w)
		return;
	n = bpf_probe_read_kernel_str(w->bytes, MAXSTRINGLEN, dst);
	n = n > 0 ? (n - 1) & (MAXSTRINGLEN - 1) : 0;
	bpf_probe_read_kernel_str(w->bytes + n, MAXSTRINGLEN, src);
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, w->bytes);
}

/*
 * text_str(s), text_strn(s, len, quoted), string_quoted(s),
 * user_string_quoted(): the escaping of common/tap_strings.c
 * (tap_text_str), one input character per bpf_loop() round. dst and src
 * are MAXSTRINGLEN buffers in map memory (locals, globals).
 */
/* Where the text comes from and goes: on the stack (pointers stay put). */
struct tap_text_ptrs {
	char *dst;
	const char *src;
};

/*
 * The position state, in a per-CPU map: from map memory the verifier
 * reads unknown numbers, so it checks the loop body once instead of once
 * per possible position (which exceeds its limit).
 */
struct tap_text_state {
	__s64 in, out, room, cut, cut_len;
	__s64 c;
};

TAP_PERCPU_STATE(tap_text_states, struct tap_text_state);

static __always_inline void tap_text_put(struct tap_text_state *st, char *dst,
					 char ch)
{
	dst[st->out & (MAXSTRINGLEN - 1)] = ch;
	st->out++;
}

/* The letter of a short escape (\n ...), by character; 0: none. A global
 * table (not static: clang 14's BTF) keeps the verifier's paths few. */
const char tap_escape_letters[128] = {
	['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
	['\t'] = 't', ['\v'] = 'v', ['"'] = '"', ['\\'] = '\\',
};

/* The code point at src[in] and its length (1 for anything not UTF-8). */
static __always_inline int tap_utf8_at(const char *s, __s64 in, int *cp)
{
	unsigned char b0 = s[in & (MAXSTRINGLEN - 1)];
	unsigned char b1 = s[(in + 1) & (MAXSTRINGLEN - 1)];
	unsigned char b2 = s[(in + 2) & (MAXSTRINGLEN - 1)];
	unsigned char b3 = s[(in + 3) & (MAXSTRINGLEN - 1)];
	int c;

	*cp = b0;
	if ((b0 & 0xe0) == 0xc0 && (b1 & 0xc0) == 0x80) {
		c = (b0 & 0x1f) << 6 | (b1 & 0x3f);
		if (c >= 0x80) {
			*cp = c;
			return 2;
		}
	} else if ((b0 & 0xf0) == 0xe0 && (b1 & 0xc0) == 0x80 &&
		   (b2 & 0xc0) == 0x80) {
		c = (b0 & 0x0f) << 12 | (b1 & 0x3f) << 6 | (b2 & 0x3f);
		if (c >= 0x800 && (c < 0xd800 || c > 0xdfff)) {
			*cp = c;
			return 3;
		}
	} else if ((b0 & 0xf8) == 0xf0 && (b1 & 0xc0) == 0x80 &&
		   (b2 & 0xc0) == 0x80 && (b3 & 0xc0) == 0x80) {
		c = (b0 & 0x07) << 18 | (b1 & 0x3f) << 12 | (b2 & 0x3f) << 6 |
		    (b3 & 0x3f);
		if (c >= 0x10000 && c <= 0x10ffff) {
			*cp = c;
			return 4;
		}
	}
	return 1;
}

static __attribute__((unused)) long tap_text_step(__u64 index, void *data)
{
	struct tap_text_ptrs *p = data;
	struct tap_text_state *st;
	int n, k, c, i, letter = 0;
	char *dst = p->dst;

	st = bpf_map_lookup_elem(&tap_text_states, &tap_zero_key);
	if (!st || st->in >= MAXSTRINGLEN - 1 || st->room <= 0)
		return 1;
	n = tap_utf8_at(p->src, st->in, &c);
	st->c = c;
	if (c == 0)
		return 1;
	st->in += n;
	if (n > 1) {
		k = c <= 0xffff ? 6 : 10;
	} else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		k = 1;
	} else {
		letter = tap_escape_letters[c & 0x7f];
		k = c < 0x80 && letter ? 2 : 4;
	}
	if (k > 1 && st->cut < 0 && st->room - 3 < k) {
		st->cut = st->out;
		st->cut_len = k;
	}
	if (st->room < k)
		return 1;
	st->room -= k;
	if (k == 1) {
		tap_text_put(st, dst, c);
		return 0;
	}
	tap_text_put(st, dst, '\\');
	if (k == 2) {
		tap_text_put(st, dst, letter);
	} else if (k == 4) {
		tap_text_put(st, dst, '0' + ((c >> 6) & 3));
		tap_text_put(st, dst, '0' + ((c >> 3) & 7));
		tap_text_put(st, dst, '0' + (c & 7));
	} else {
		tap_text_put(st, dst, k == 6 ? 'u' : 'U');
		for (i = k - 3; i >= 0 && i < 8; i--) {
			int nib = (c >> (i * 4)) & 0xf;

			/* branch-free hex digit: '0'..'9', 'A'..'F' (stap's
			 * to_hex_digit is upper case)
			 */
			tap_text_put(st, dst,
				     nib + '0' + ((nib + 6) >> 4) * ('A' - '0' - 10));
		}
	}
	return 0;
}

static __always_inline void tap_text_str(char *dst, const char *src,
					 tap_long len, int quoted)
{
	struct tap_text_ptrs p = { .dst = dst, .src = src };
	struct tap_text_state *st;

	st = bpf_map_lookup_elem(&tap_text_states, &tap_zero_key);
	if (!st) {
		dst[0] = '\0';
		return;
	}
	st->in = st->out = st->c = st->cut_len = 0;
	st->cut = -1;
	st->room = len <= 0 || len > MAXSTRINGLEN - 1 ? MAXSTRINGLEN - 1 : len;
	if (quoted) {
		st->room = (st->room > 5 ? st->room : 5) - 2;
		tap_text_put(st, dst, '"');
	}
	bpf_loop(MAXSTRINGLEN, tap_text_step, &p, 0);
	if (quoted) {
		if (st->c && st->in < MAXSTRINGLEN - 1) {
			__s64 trunc = st->out - 3 + st->room;

			st->out = st->cut >= 0 && st->cut < trunc &&
				  trunc < st->cut + st->cut_len ? st->cut : trunc;
			tap_text_put(st, dst, '"');
			tap_text_put(st, dst, '.');
			tap_text_put(st, dst, '.');
			tap_text_put(st, dst, '.');
		} else {
			tap_text_put(st, dst, '"');
		}
	}
	dst[st->out & (MAXSTRINGLEN - 1)] = '\0';
}

/* 1 when the len bytes of needle stand in hay at pos (both MAXSTRINGLEN buffers) */
static __always_inline int tap_occurs_at(const char *hay, __s64 pos,
					 const char *needle, __s64 len)
{
	__s64 j;

	for (j = 0; j < MAXSTRINGLEN; j++) {
		if (j >= len)
			return 1;
		if (hay[(pos + j) & (MAXSTRINGLEN - 1)] !=
		    needle[j & (MAXSTRINGLEN - 1)])
			return 0;
	}
	return 0;
}

/*
 * strpos(s1, s2) (isinstr is strpos >= 0): the search state in a per-CPU
 * map for the verifier's sake (see tap_text_str), one start position per
 * bpf_loop() round.
 */
struct tap_find_ptrs {
	const char *hay;
	const char *needle;
};

struct tap_find_state {
	__s64 pos, found, hay_len, needle_len;
};

TAP_PERCPU_STATE(tap_find_states, struct tap_find_state);

static __attribute__((unused)) long tap_find_step(__u64 index, void *data)
{
	struct tap_find_ptrs *p = data;
	struct tap_find_state *st;

	st = bpf_map_lookup_elem(&tap_find_states, &tap_zero_key);
	if (!st || st->pos + st->needle_len > st->hay_len)
		return 1;
	if (tap_occurs_at(p->hay, st->pos, p->needle, st->needle_len)) {
		st->found = st->pos;
		return 1;
	}
	st->pos++;
	return 0;
}

static __always_inline tap_long tap_strpos(const char *s1, const char *s2)
{
	struct tap_find_ptrs p = { .hay = s1, .needle = s2 };
	struct tap_find_state *st;

	st = bpf_map_lookup_elem(&tap_find_states, &tap_zero_key);
	if (!st)
		return -1;
	st->pos = 0;
	st->found = -1;
	st->hay_len = tap_str_len(s1);
	st->needle_len = tap_str_len(s2);
	bpf_loop(MAXSTRINGLEN, tap_find_step, &p, 0);
	return st->found;
}

/*
 * str_replace(s, search, repl) on the kernel side: one source position per
 * bpf_loop() round (a match of search there copies repl, else the byte),
 * the positions in a per-CPU map as strpos's; every string in a
 * MAXSTRINGLEN buffer, dst apart from them.
 */
struct tap_repl_ptrs {
	char *dst;
	const char *src;
	const char *search;
	const char *repl;
};

struct tap_repl_state {
	__s64 pos, out, search_len, repl_len;
};

TAP_PERCPU_STATE(tap_repl_states, struct tap_repl_state);

static __attribute__((unused)) long tap_repl_step(__u64 index, void *data)
{
	struct tap_repl_ptrs *p = data;
	struct tap_repl_state *st;
	__s64 pos, out, j;
	char ch;

	st = bpf_map_lookup_elem(&tap_repl_states, &tap_zero_key);
	if (!st)
		return 1;
	pos = st->pos;
	out = st->out;
	ch = p->src[pos & (MAXSTRINGLEN - 1)];
	if (!ch || out >= MAXSTRINGLEN - 1)
		return 1;
	if (st->search_len > 0 &&
	    tap_occurs_at(p->src, pos, p->search, st->search_len)) {
		for (j = 0; j < MAXSTRINGLEN; j++) {
			if (j >= st->repl_len || out >= MAXSTRINGLEN - 1)
				break;
			p->dst[out & (MAXSTRINGLEN - 1)] =
				p->repl[j & (MAXSTRINGLEN - 1)];
			out++;
		}
		st->pos = pos + st->search_len;
	} else {
		p->dst[out & (MAXSTRINGLEN - 1)] = ch;
		out++;
		st->pos = pos + 1;
	}
	st->out = out;
	return 0;
}

static __always_inline void tap_str_replace_k(char *dst, const char *src,
					      const char *search,
					      const char *repl)
{
	struct tap_repl_ptrs p = { .dst = dst, .src = src, .search = search, .repl = repl };
	struct tap_repl_state *st;

	dst[0] = '\0';
	st = bpf_map_lookup_elem(&tap_repl_states, &tap_zero_key);
	if (!st)
		return;
	st->pos = 0;
	st->out = 0;
	st->search_len = tap_str_len(search);
	st->repl_len = tap_str_len(repl);
	bpf_loop(MAXSTRINGLEN, tap_repl_step, &p, 0);
	dst[st->out & (MAXSTRINGLEN - 1)] = '\0';
}

/*
 * s =~ "re": the automaton's walk over s (pass 3 emits each pattern's
 * tables and its bpf_loop() step), its state in a per-CPU map as strpos's.
 */
struct tap_re_walk {
	const char *s;
};

struct tap_re_state {
	__u32 st;
	__s32 result;	/* -1 while walking, then 0 or 1 */
};

TAP_PERCPU_STATE(tap_re_states, struct tap_re_state);

/* A digit of strtol(): 0-9, a-f, A-F (as the kernel's _parse_integer()); else 99 */
static __always_inline unsigned int tap_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99;
}

/* strtol()'s walk over the digits: one per bpf_loop() round, verified once */
struct tap_strtol_walk {
	const char *s;
	__u64 v;
	unsigned int base;
	int start;
};

static __attribute__((unused)) long tap_strtol_step(__u64 i, void *data)
{
	struct tap_strtol_walk *w = data;
	unsigned int d;
	__u64 at = w->start + i;

	if (at >= MAXSTRINGLEN)
		return 1;
	d = tap_hex_digit(w->s[at & (MAXSTRINGLEN - 1)]);
	/* a character that is no digit at all ends the number whatever the base */
	if (d > 15 || d >= w->base)
		return 1;
	w->v = w->v * w->base + d;
	return 0;
}

/*
 * strtol(str, base), as common/tap_strings.c tap_strtol() and the kernel's
 * simple_strtoll(): str in a MAXSTRINGLEN buffer.
 */
static __always_inline tap_long tap_strtol_k(const char *s, tap_long base_arg)
{
	struct tap_strtol_walk w = { .s = s, .base = (unsigned int)base_arg };
	int neg = 0;

	if (s[0] == '-') {
		neg = 1;
		w.start = 1;
	}
	if (w.base == 0) {
		if (s[w.start] == '0')
			w.base = (s[w.start + 1] | 0x20) == 'x' &&
				 tap_hex_digit(s[w.start + 2]) < 16 ? 16 : 8;
		else
			w.base = 10;
	}
	if (w.base == 16 && s[w.start] == '0' &&
	    (s[w.start + 1] | 0x20) == 'x')
		w.start += 2;
	bpf_loop(MAXSTRINGLEN, tap_strtol_step, &w, 0);
	return neg ? -(tap_long)w.v : (tap_long)w.v;
}

/* tolower(s), toupper(s): ASCII letters only; src in a MAXSTRINGLEN buffer */
static __always_inline void tap_case(char *dst, const char *src, int upper)
{
	int i;

	for (i = 0; i < MAXSTRINGLEN - 1; i++) {
		char ch = src[i];

		if (!ch)
			break;
		if (upper && ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		else if (!upper && ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		dst[i] = ch;
	}
	dst[i & (MAXSTRINGLEN - 1)] = '\0';
}

/* substr(str, start, length), as common/tap_strings.c tap_substr */
static __always_inline void tap_substr(char *dst, const char *str,
				       tap_long start, tap_long length)
{
	tap_long n = length + 1;

	dst[0] = '\0';
	if (n < 0)
		n = 0;
	if (n > MAXSTRINGLEN)
		n = MAXSTRINGLEN;
	if (start < 0 || start >= tap_str_len(str) || n == 0)
		return;
	/* keep clang from dropping the bound the verifier needs */
	asm volatile("" : "+r"(n));
	if (n > MAXSTRINGLEN)
		return;
	/* at most n bytes from str + start, NUL included */
	bpf_probe_read_kernel_str(dst, n, str + (start & (MAXSTRINGLEN - 1)));
}

/* user_string(addr): "" and an error when the page is not present */
static __always_inline int tap_user_string(char *dst, const void *uaddr)
{
	long n = bpf_probe_read_user_str(dst, MAXSTRINGLEN, uaddr);

	if (n < 0)
		dst[0] = '\0';
	return n < 0;
}

static __always_inline int tap_kernel_string(char *dst, const void *kaddr)
{
	long n = bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, kaddr);

	if (n < 0)
		dst[0] = '\0';
	return n < 0;
}

/* ---- context functions ---- */

static __always_inline void tap_execname(char *dst)
{
	bpf_get_current_comm(dst, 16);
}

static __always_inline tap_long tap_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline tap_long tap_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline tap_long tap_uid(void)
{
	return (__u32)bpf_get_current_uid_gid();
}

static __always_inline tap_long tap_gid(void)
{
	return bpf_get_current_uid_gid() >> 32;
}

static __always_inline tap_long tap_cpu(void)
{
	return bpf_get_smp_processor_id();
}

/* uaddr(): the current task's user-space instruction pointer; 0 for a kernel thread */
static __always_inline tap_long tap_uaddr(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r;

	if (!BPF_CORE_READ(t, mm))
		return 0;
	r = (struct pt_regs *)bpf_task_pt_regs(t);
	return BPF_CORE_READ(r, ip);
}

/*
 * The kernel's "%ps"/"%pS" end with " [module]" for a module's symbol. len is
 * bpf_snprintf()'s answer (the NUL counted). The '[' is found by a
 * bpf_loop(), verified once: a bounded loop's every stopping place would be
 * a state of its own to the verifier, for every call in a probe.
 * Returns the module name's first index, -1 where no module is named.
 */
struct tap_char_find {
	const char *s;
	long at;
	char c;
};

static __attribute__((unused)) long tap_char_find_step(__u64 i, void *data)
{
	struct tap_char_find *f = data;
	char ch;

	if (i >= MAXSTRINGLEN)
		return 1;
	ch = f->s[i];
	if (ch == '\0')
		return 1;
	if (ch == f->c) {
		f->at = i;
		return 1;
	}
	return 0;
}

static __always_inline long tap_module_start(const char *s, long len)
{
	struct tap_char_find f = { .s = s, .at = -1, .c = '[' };
	long last = len - 2;

	if (last < 1 || last >= MAXSTRINGLEN || s[last] != ']')
		return -1;
	bpf_loop(MAXSTRINGLEN, tap_char_find_step, &f, 0);
	if (f.at < 1 || f.at >= MAXSTRINGLEN || s[f.at - 1] != ' ')
		return -1;
	return f.at + 1;
}

/* symname(addr): the kernel's "%ps" (the function, or 0x... where none is) */
static __always_inline void tap_symname(char *dst, tap_long addr)
{
	static const char fmt[] = "%ps";
	__u64 arg = (__u64)addr;
	long len, from;

	len = bpf_snprintf(dst, MAXSTRINGLEN, fmt, &arg, sizeof(arg));
	if (len < 0) {
		dst[0] = '\0';
		return;
	}
	/* a module's function comes as "name [module]": the name alone, as stap */
	from = tap_module_start(dst, len);
	if (from >= 2 && from < MAXSTRINGLEN)
		dst[from - 2] = '\0';
}

/*
 * BPF code has a symbol but no module in the kernel's "%pS", where
 * /proc/kallsyms (the user side's symbols) lists it under [bpf]: a program
 * is "bpf_prog_" and its 16-hex-digit tag (then "_NAME"), a trampoline
 * "bpf_trampoline_" and a decimal key. Kernel functions named bpf_prog_*
 * or bpf_trampoline_* have words there, not a tag or a number.
 */
#define TAP_BPF_SYMBOL_SCAN 40
static __always_inline int tap_is_bpf_symbol(const char *s)
{
	static const char prog[] = "bpf_prog_", trampoline[] = "bpf_trampoline_";
	const int plen = sizeof(prog) - 1, tlen = sizeof(trampoline) - 1;
	int i;

	if (MAXSTRINGLEN < TAP_BPF_SYMBOL_SCAN)
		return 0;
	for (i = 0; i < plen; i++)
		if (s[i] != prog[i])
			goto not_prog;
	for (i = plen; i < plen + 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	/* then its name, its offset ("%pS") or nothing ("%ps") */
	return s[plen + 16] == '_' || s[plen + 16] == '+' || s[plen + 16] == '\0';
not_prog:
	for (i = 0; i < tlen; i++)
		if (s[i] != trampoline[i])
			return 0;
	for (i = tlen; i < TAP_BPF_SYMBOL_SCAN; i++) {
		if (s[i] == '+' || s[i] == '\0')
			return i > tlen;
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 0;
}

/*
 * symdata(addr): the kernel's "%pS", "name+0x12/0x80 [module]", with stap's
 * " [kernel]" for the kernel's own and " [bpf]" for BPF code, as kallsyms
 */
static __always_inline void tap_symdata(char *dst, tap_long addr)
{
	static const char fmt[] = "%pS", kernel_fmt[] = "%pS [kernel]", bpf_fmt[] = "%pS [bpf]";
	__u64 arg = (__u64)addr;
	long len;

	len = bpf_snprintf(dst, MAXSTRINGLEN, fmt, &arg, sizeof(arg));
	if (len < 0) {
		dst[0] = '\0';
		return;
	}
	/* "0x...": no symbol holds it */
	if (dst[0] == '0')
		return;
	if (tap_is_bpf_symbol(dst))
		bpf_snprintf(dst, MAXSTRINGLEN, bpf_fmt, &arg, sizeof(arg));
	else if (tap_module_start(dst, len) < 0)
		bpf_snprintf(dst, MAXSTRINGLEN, kernel_fmt, &arg, sizeof(arg));
}

/* modname(addr): "kernel", "bpf" or the module's name, from "%ps"; nonzero where no symbol holds addr */
static __always_inline int tap_modname(char *dst, tap_long addr)
{
	static const char fmt[] = "%ps", str_fmt[] = "%s", kernel[] = "kernel", bpf[] = "bpf";
	__u64 arg = (__u64)addr, name;
	long len, from, n;

	len = bpf_snprintf(dst, MAXSTRINGLEN, fmt, &arg, sizeof(arg));
	if (len < 0 || (dst[0] == '0' && dst[1] == 'x')) {
		dst[0] = '\0';
		return 1;
	}
	if (tap_is_bpf_symbol(dst)) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, bpf);
		return 0;
	}
	from = tap_module_start(dst, len);
	if (from < 0) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, kernel);
		return 0;
	}
	/*
	 * "name [module]": the module's name to the front (bpf_snprintf() copies
	 * a %s argument before it writes), then the final ']' cut
	 */
	n = len - 2 - from;
	name = (__u64)(dst + from);
	bpf_snprintf(dst, MAXSTRINGLEN, str_fmt, &name, sizeof(name));
	if (n >= 0 && n < MAXSTRINGLEN)
		dst[n] = '\0';
	return 0;
}

/* ppid(), pexecname(): the current task's parent (real_parent, as stap) */
static __always_inline tap_long tap_ppid(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, real_parent, tgid);
}

static __always_inline void tap_pexecname(char *dst)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct task_struct *p = BPF_CORE_READ(t, real_parent);

	if (bpf_core_read_str(dst, 16, &p->comm) < 0)
		dst[0] = '\0';
}

/* pgrp(), sid(): the task's signal_struct's PGID and SID pids, their numbers in the initial namespace */
static __always_inline tap_long tap_pgrp(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);

	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline tap_long tap_sid(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]);

	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline tap_long tap_jiffies(void)
{
	return bpf_jiffies64();
}

static __always_inline tap_long tap_num_online_cpus(void)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	return s ? s->online_cpus : 0;
}

/* stp_pid(): taprun's pid (the user side's is its own getpid()) */
static __always_inline tap_long tap_stp_pid(void)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	return s ? s->stp_pid : 0;
}

static __always_inline tap_long tap_euid(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, cred, euid.val);
}

static __always_inline tap_long tap_egid(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, cred, egid.val);
}

static __always_inline tap_long tap_ktime_get_ns(void)
{
	return bpf_ktime_get_ns();
}

/* no scheduler clock and no cycle counter in BPF: the monotonic clock (tap_api.h) */
static __always_inline tap_long tap_local_clock_ns(void)
{
	return bpf_ktime_get_ns();
}

static __always_inline tap_long tap_cpu_clock_ns(tap_long cpu)
{
	(void)cpu;
	return bpf_ktime_get_ns();
}

static __always_inline tap_long tap_get_cycles(void)
{
	return bpf_ktime_get_ns();
}

static __always_inline int tap_cpu_online(tap_long cpu)
{
	return cpu >= 0 && cpu < tap_num_online_cpus();
}

/* randint(n), n checked by the caller (0 < n <= TAP_RANDINT_MAX) */
static __always_inline tap_long tap_randint(tap_long n)
{
	return bpf_get_prandom_u32() % (__u32)n;
}

/*
 * task_*(task): fields of the task_struct at a script's address (from
 * task_current() or task_parent()), read with CO-RE and fault-safe copies:
 * 0 (or "") where the address cannot be read.
 */
#define TAP_TASK(t) ((struct task_struct *)(unsigned long)(t))

/* the fields' older homes, for kernels before they moved (CO-RE flavors) */
struct task_struct___old_state {
	long state;
} __attribute__((preserve_access_index));
struct task_struct___old_cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline tap_long tap_task_current(void)
{
	return (tap_long)bpf_get_current_task();
}

/* kfuncs of kernels since 6.2: pid2task() is refused at load on older ones */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/*
 * pid2task(pid): the task with that pid (the initial namespace's), 0 for
 * none. The reference the kfunc takes is dropped at once: the address is
 * what stap's pid2task() gives too, held by nothing.
 */
static __always_inline tap_long tap_pid2task(tap_long pid)
{
	struct task_struct *t;
	tap_long addr;

	if (pid <= 0 || pid > 0x400000)
		return 0;
	t = bpf_task_from_pid((s32)pid);
	if (!t)
		return 0;
	addr = (tap_long)(unsigned long)t;
	bpf_task_release(t);
	return addr;
}

static __always_inline tap_long tap_task_parent(tap_long t)
{
	return (tap_long)(unsigned long)BPF_CORE_READ(TAP_TASK(t), real_parent);
}

static __always_inline tap_long tap_task_pid(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), tgid);
}

static __always_inline tap_long tap_task_tid(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), pid);
}

static __always_inline tap_long tap_task_ppid(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), real_parent, tgid);
}

static __always_inline tap_long tap_task_uid(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), cred, uid.val);
}

static __always_inline tap_long tap_task_gid(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), cred, gid.val);
}

static __always_inline void tap_task_execname(char *dst, tap_long t)
{
	if (bpf_core_read_str(dst, 16, &TAP_TASK(t)->comm) < 0)
		dst[0] = '\0';
}

static __always_inline tap_long tap_task_state(tap_long t)
{
	if (bpf_core_field_exists(TAP_TASK(t)->__state))
		return BPF_CORE_READ(TAP_TASK(t), __state);
	return BPF_CORE_READ((struct task_struct___old_state *)TAP_TASK(t), state);
}

/* stap's: prio - MAX_RT_PRIO, and static_prio as a nice value */
static __always_inline tap_long tap_task_prio(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), prio) - 100;
}

static __always_inline tap_long tap_task_nice(tap_long t)
{
	return BPF_CORE_READ(TAP_TASK(t), static_prio) - 120;
}

static __always_inline tap_long tap_task_cpu(tap_long t)
{
	if (bpf_core_field_exists(TAP_TASK(t)->thread_info.cpu))
		return BPF_CORE_READ(TAP_TASK(t), thread_info.cpu);
	return BPF_CORE_READ((struct task_struct___old_cpu *)TAP_TASK(t), cpu);
}

/* kernel_long(addr) and its kin: non-zero on a fault (the caller raises stap's error), *dst 0 then */
#define TAP_KERNEL_READ(type, addr, dst) ({ \
	type v_ = 0; \
	long r_ = bpf_probe_read_kernel(&v_, sizeof(v_), (const void *)(unsigned long)(addr)); \
	*(dst) = r_ ? 0 : (tap_long)v_; \
	r_ != 0; })

/*
 * @cast(addr, "T")->a->b (pass 2 lays the chain out from the kernel's
 * BTF): steps[0] is added to addr; before each further step the pointer
 * there is loaded. Then size bytes are read into *dst (sign-extended when
 * is_signed), or a string (size 0). Nonzero on a fault, *fault the address.
 */
#define TAP_MEMBER_STEPS_MAX 16

/* `user`: the chain is in the probed process's memory (a program's parameter, from its DWARF) */
static __always_inline long tap_chain_copy(void *dst, __u32 size, const void *src, int user)
{
	return user ? bpf_probe_read_user(dst, size, src) : bpf_probe_read_kernel(dst, size, src);
}

static __always_inline int tap_chain_read(__u64 addr, const __s64 *steps, int n,
					  void *dst, int size, int is_signed,
					  tap_long *fault, int user)
{
	/* two words: the size is masked to 15 for the verifier, and may come from a map (tap_kread_run) */
	__u64 v[2] = { 0, 0 }, next;
	int i;

	for (i = 0; i < TAP_MEMBER_STEPS_MAX && i < n; i++) {
		addr += steps[i];
		if (i == n - 1)
			break;
		/* (a failed read zeroes next, not the address reported) */
		if (tap_chain_copy(&next, sizeof(next), (const void *)addr, user))
			goto fault;
		addr = next;
	}
	if (!size) {
		if ((user ? bpf_probe_read_user_str(dst, MAXSTRINGLEN, (const void *)addr) :
			    bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, (const void *)addr)) < 0)
			goto fault;
		return 0;
	}
	if (tap_chain_copy(v, size & 15, (const void *)addr, user))
		goto fault;
	if (is_signed && size < 8)
		v[0] = (__u64)((__s64)(v[0] << (64 - 8 * size)) >> (64 - 8 * size));
	*(tap_long *)dst = (tap_long)v[0];
	return 0;
fault:
	*fault = (tap_long)addr;
	return 1;
}

static __always_inline int tap_member_read(__u64 addr, const __s64 *steps, int n,
					   void *dst, int size, int is_signed,
					   tap_long *fault)
{
	return tap_chain_read(addr, steps, n, dst, size, is_signed, fault, 0);
}

static __always_inline int tap_user_member_read(__u64 addr, const __s64 *steps, int n,
						void *dst, int size, int is_signed,
						tap_long *fault)
{
	return tap_chain_read(addr, steps, n, dst, size, is_signed, fault, 1);
}

#ifdef TAP_USER_KREAD
/*
 * The reader of kernel memory for the user side (tap_abi.h, struct
 * tap_kread_req): in a module whose begin, end or timer probes read
 * kernel memory. taprun runs it with BPF_PROG_TEST_RUN; never attached.
 */
struct tap_kread_value {
	struct tap_kread_req r;
	char str[MAXSTRINGLEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tap_kread_value);
} tap_kread SEC(".maps");

SEC("raw_tp")
int tap_kread_run(void *ctx)
{
	struct tap_kread_value *v = bpf_map_lookup_elem(&tap_kread, &tap_zero_key);
	int size;

	if (!v)
		return 0;
	if (v->r.n == 0) {
		/* jiffies() of a user-side probe (kallsyms may not list jiffies_64) */
		v->r.value = bpf_jiffies64();
		v->r.status = 0;
		return 0;
	}
	size = v->r.size;
	if (size < 0 || size > 8)
		size = 8;
	v->r.status = tap_member_read(v->r.addr, v->r.steps, v->r.n,
				      size ? (void *)&v->r.value : (void *)v->str,
				      size, v->r.is_signed, &v->r.fault);
	return 0;
}
#endif /* TAP_USER_KREAD */

/* a uprobe's user register (an SDT marker's argument): struct pt_regs field */
#define TAP_UREG(field) BPF_CORE_READ((struct pt_regs *)ctx, field)

/*
 * int_arg() and its kin: a field of the current task's saved user registers
 * (a system call's arguments; a probed user function's, as its uprobe's ctx
 * has them), or of a kprobe's ctx (a kernel function's).
 */
#define TAP_TASK_UREG(field) \
	BPF_CORE_READ((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()), field)
#define TAP_KREG(field) BPF_CORE_READ((struct pt_regs *)ctx, field)

/* user_long_error(addr) and its kin: nonzero where it cannot be read, *dst 0 */
#define TAP_USER_READ_CHECKED(type, addr, dst) ({ \
	type v_ = 0; \
	long r_ = bpf_probe_read_user(&v_, sizeof(v_), (const void *)(unsigned long)(addr)); \
	*(dst) = r_ ? 0 : (tap_long)v_; \
	r_ != 0; })

/* user_long(addr) and its kin: 0 where the memory cannot be read, as stap */
#define TAP_USER_READ(type, addr) ({ \
	tap_long u_; \
	TAP_USER_READ_CHECKED(type, addr, &u_); \
	u_; })

/* tz_gmtoff(), tz_name(): taprun's time zone when it started (seconds west of UTC; its abbreviation) */
static __always_inline tap_long tap_tz_gmtoff(void)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	return s ? s->tz_gmtoff : 0;
}

static __always_inline void tap_tz_name(char *dst)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	dst[0] = '\0';
	if (s)
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN < TAP_TZ_NAME_LEN ?
					  MAXSTRINGLEN : TAP_TZ_NAME_LEN, s->tz_name);
}

/* target(): the process given with taprun -x (0 without) */
static __always_inline tap_long tap_target(void)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	return s ? s->target : 0;
}

static __always_inline tap_long tap_gettimeofday_ns(void)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);

	return bpf_ktime_get_boot_ns() + (s ? s->boot_to_real_ns : 0);
}

/* ---- arrays ---- */

/* v = m[k]: 1 if present; else *v is zeroed (0 / "") and 0 returned. */
#define TAP_MAP_GET(m, k, v) tap_map_get_(&(m), (k), (v), sizeof(*(v)))
static __always_inline int tap_map_get_(void *map, const void *k, void *v,
					__u32 size)
{
	void *p = bpf_map_lookup_elem(map, k);

	/*
	 * A missing element reads as 0 or "" (values are longs or strings).
	 * Only a string's first byte is set: zeroing all MAXSTRINGLEN bytes
	 * took clang's DAG combiner ~50 ms per use (strace.stp: 18 s).
	 */
	if (!p) {
		if (size == sizeof(tap_long))
			*(tap_long *)v = 0;
		else
			*(char *)v = '\0';
		return 0;
	}
	bpf_probe_read_kernel(v, size, p);
	return 1;
}

/* m[k] = v: 0, or TAP_E_MAP_FULL when the array is full */
#define TAP_MAP_SET(m, k, v) \
	(bpf_map_update_elem(&(m), (k), (v), BPF_ANY) ? TAP_E_MAP_FULL : 0)

/* m[k] += delta for long values; *res = new value; 0 or TAP_E_MAP_FULL */
/*
 * bpf_map_update_elem(BPF_NOEXIST)'s error when the element is there
 * (vmlinux.h has no errno.h); any other is a full map (E2BIG) or no memory
 */
#define TAP_EEXIST 17

#define TAP_MAP_ADD(m, k, delta, res) tap_map_add_(&(m), (k), (delta), (res))
static __always_inline int tap_map_add_(void *map, const void *k,
					tap_long delta, tap_long *res)
{
	tap_long *p = bpf_map_lookup_elem(map, k);
	long err;

	if (!p) {
		err = bpf_map_update_elem(map, k, &delta, BPF_NOEXIST);
		if (err && err != -TAP_EEXIST)
			return TAP_E_MAP_FULL;
		/* another CPU inserted it first: add to its element */
		p = err ? bpf_map_lookup_elem(map, k) : NULL;
		if (!p) {
			/* ours, or deleted at once by the user side (delete a):
			 * the add comes after the delete */
			if (err && bpf_map_update_elem(map, k, &delta, BPF_ANY))
				return TAP_E_MAP_FULL;
			*res = delta;
			return 0;
		}
	}
	*res = __sync_fetch_and_add(p, delta) + delta;
	return 0;
}

/* delete m (every element): bpf_for_each_map_elem may delete as it walks */
static __attribute__((unused)) long
tap_map_clear_one(void *map, const void *k, void *v, void *data)
{
	bpf_map_delete_elem(map, k);
	return 0;
}

#define TAP_MAP_CLEAR(m) \
	((void)bpf_for_each_map_elem(&(m), tap_map_clear_one, NULL, 0))
#define TAP_MAP_EXISTS(m, k) (bpf_map_lookup_elem(&(m), (k)) != NULL)
#define TAP_MAP_DELETE(m, k) ((void)bpf_map_delete_elem(&(m), (k)))

/* ---- statistics ---- */

/* s[k] <<< val: 0, or TAP_E_MAP_FULL */
#define TAP_STAT_ADD(s, k, val) \
	tap_stat_add_(&(s), (k), (val), &s##_desc, \
		      sizeof(struct s##_value) / 8 - 8)
static __always_inline int tap_stat_add_(void *map, const void *k,
					 tap_long val,
					 const struct tap_stat_desc *d,
					 const __u64 nrows)
{
	struct tap_stat_data *sd = bpf_map_lookup_elem(map, k);
	__u64 row;
	long err;

	if (!sd) {
		void *zero = bpf_map_lookup_elem(&tap_stat_zero, &tap_zero_key);

		if (!zero)
			return TAP_E_MAP_FULL;
		/* only a full map is an overflow: an element that another
		 * CPU inserted (EEXIST), or that the user side deleted at once
		 * (delete a while the kernel side adds), is inserted again */
		err = bpf_map_update_elem(map, k, zero, BPF_NOEXIST);
		if (err && err != -TAP_EEXIST)
			return TAP_E_MAP_FULL;
		sd = bpf_map_lookup_elem(map, k);
		if (!sd) {
			err = bpf_map_update_elem(map, k, zero, BPF_NOEXIST);
			if (err && err != -TAP_EEXIST)
				return TAP_E_MAP_FULL;
			sd = bpf_map_lookup_elem(map, k);
			if (!sd)
				return 0;	/* deleted again: the add is lost with it */
		}
	}
	tap_stat_add_moments(sd, val, d->bit_shift);
	if (d->type == TAP_HIST_NONE)
		return 0;
	row = (__u64)(__s64)tap_stat_bucket(d, val);
	/* keep clang from checking a copy and indexing with the original */
	asm volatile("" : "+r"(row));
	if (row < nrows)
		sd->hist[row] += 1;
	return 0;
}

/*
 * @count(s[k]) ... in a kernel-side handler: combines the CPUs' values
 * (count, sum, min, max, @avg, @variance; the histogram rows stay 0:
 * printing a histogram is the user side's job). 0 when s[k] is empty.
 */
#define TAP_STAT_GET(s, k, agg) \
	tap_stat_read_(&(s), (k), (struct tap_stat_data *)(void *)(agg), \
		       s##_desc.bit_shift)
static __always_inline int tap_stat_read_(void *map, const void *k,
					  struct tap_stat_data *agg, int shift)
{
	struct tap_session *s = bpf_map_lookup_elem(&tap_session, &tap_zero_key);
	__u32 cpu, ncpus = s ? s->ncpus : 1;
	__s64 s1 = 0, s2 = 0;

	agg->count = agg->sum = agg->min = agg->max = 0;
	agg->avg_s = agg->m2 = agg->variance_s = agg->variance = 0;
	for (cpu = 0; cpu < TAP_MAX_CPUS && cpu < ncpus; cpu++) {
		struct tap_stat_data *sd = bpf_map_lookup_percpu_elem(map, k, cpu);

		if (!sd || !sd->count)
			continue;
		if (agg->count == 0) {
			agg->min = sd->min;
			agg->max = sd->max;
		}
		agg->count += sd->count;
		agg->sum += sd->sum;
		if (sd->max > agg->max)
			agg->max = sd->max;
		if (sd->min < agg->min)
			agg->min = sd->min;
	}
	if (!agg->count)
		return 0;
	agg->avg_s = tap_div64(agg->sum << shift, agg->count);
	for (cpu = 0; cpu < TAP_MAX_CPUS && cpu < ncpus; cpu++) {
		struct tap_stat_data *sd = bpf_map_lookup_percpu_elem(map, k, cpu);
		__s64 dev;

		if (!sd || !sd->count)
			continue;
		dev = sd->avg_s - agg->avg_s;
		s1 += sd->count * dev * dev;
		s2 += (sd->count - 1) * sd->variance_s;
	}
	agg->variance_s = tap_div64(s1 + s2, agg->count - 1);
	agg->variance = agg->variance_s >> (2 * shift);
	return 1;
}

static __always_inline tap_long tap_stat_avg(const struct tap_stat_data *agg)
{
	return tap_div64(agg->sum, agg->count);
}

#define TAP_AGG(agg) ((struct tap_stat_data *)(void *)(agg))

/*
 * print(@hist_log(s[k])) in a kernel-side handler: a record naming the
 * statistic (its index in the descriptor's maps) and the key; the user
 * side combines the CPUs and prints it in order with the other output.
 */
#define TAP_PRINT_HIST(c, s, map_index, k) \
	tap_print_hist_(c, map_index, (k), sizeof(*(k)))
static __always_inline void tap_print_hist_(struct tap_context *c,
					    __u32 map_index, const void *k,
					    const __u32 key_size)
{
	struct tap_rec_hdr *h = bpf_ringbuf_reserve(&tap_events,
						    sizeof(*h) + key_size, 0);

	if (!h) {
		tap_count(TAP_CNT_LOST);
		return;
	}
	h->kind = TAP_REC_HIST;
	h->id = map_index;
	bpf_probe_read_kernel(h + 1, key_size, k);
	bpf_ringbuf_submit(h, BPF_RB_NO_WAKEUP);
}

/*
 * foreach on the kernel side: unsorted, through bpf_for_each_map_elem();
 * the callback has the shape of a bpf_loop() body (docs/runtime-api.md)
 * and gets the key and value: long cb(void *map, KEY *k, VALUE *v, void *d)
 */
#define TAP_FOREACH_KERNEL(m, callback) \
	bpf_for_each_map_elem(&(m), (callback), NULL, 0)

/*
 * The user-symbol tables a module carries when its kernel-side probes name
 * user addresses (user-symbol-tables.ts, tap_usyms_k.h): each file's
 * symbols in one array, by offset in the file; names and paths as offsets
 * into one block of strings.
 */
struct tap_bpf_usym {
	__u64 start;	/* offset in the file */
	__u64 size;
	__u32 name;
};

struct tap_bpf_ufile {
	__u32 first;	/* its symbols: tap_usyms[first .. first + n) */
	__u32 n;
	__u32 path;
};

#endif /* TAP_KERNEL_H */
