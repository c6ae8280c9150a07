// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel memory for user-side probes (begin, end, error, timers): stap
 * runs them in the kernel, so kernel_string(), kernel_long() and @cast
 * read there. taprun runs in user space; it writes the request into the
 * module's mmap-ed tap_kread map and runs the module's reader program once
 * (BPF_PROG_TEST_RUN: one system call), which reads with the same
 * fault-safe copies as a kernel-side probe.
 */
#include <string.h>
#include <bpf/bpf.h>
#include "tap_user.h"
#include "user_rt.h"

#define API __attribute__((visibility("default")))

API int tap_member_read(__u64 addr, const __s64 *steps, int n, void *dst, int size,
			int is_signed, tap_long *fault)
{
	struct tap_kread_req *r = tap_rt.kread;
	__u64 args[1] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	*fault = (tap_long)addr;
	if (!r || n < 1 || n > TAP_KREAD_STEPS || size < 0 || size > 8)
		return 1;	/* a module built without the reader: pass 3 never asks then */
	r->addr = addr;
	memcpy(r->steps, steps, n * sizeof(*steps));
	r->n = n;
	r->size = size;
	r->is_signed = is_signed;
	r->status = 1;
	r->fault = (tap_long)addr;
	if (bpf_prog_test_run_opts(tap_rt.kread_prog_fd, &opts) || r->status) {
		*fault = r->fault;
		return 1;
	}
	if (size) {
		*(tap_long *)dst = r->value;
	} else {
		/* the module's MAXSTRINGLEN, which may not be taprun's */
		size_t max = tap_rt.limits.maxstringlen;

		strncpy(dst, (const char *)(r + 1), max - 1);
		((char *)dst)[max - 1] = '\0';
	}
	return 0;
}

/* jiffies() of a user-side probe: the reader program's bpf_jiffies64() */
API tap_long tap_jiffies(void)
{
	struct tap_kread_req *r = tap_rt.kread;
	__u64 args[1] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (!r)
		return 0;	/* a module built without the reader: pass 3 never asks then */
	r->n = 0;
	r->status = 1;
	if (bpf_prog_test_run_opts(tap_rt.kread_prog_fd, &opts) || r->status)
		return 0;
	return r->value;
}

API int tap_kernel_string(char *dst, const void *kaddr)
{
	const __s64 here[1] = { 0 };
	tap_long fault;

	if (tap_member_read((__u64)(unsigned long)kaddr, here, 1, dst, 0, 0, &fault)) {
		dst[0] = '\0';
		return 1;
	}
	return 0;
}
