/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syscall_name(nr): the x86_64 system call's name ("read" for 0), "" for a
 * number without one (a call newer than tap_syscalls.h). Included by each
 * runtime after its tap_str_copy.
 */
#ifndef TAP_SYSCALL_NAME_H
#define TAP_SYSCALL_NAME_H

#include "tap_syscalls.h"

#ifdef __bpf__
/* in .rodata (only in a module that uses it), read with a checked index */
static const char tap_syscall_names[TAP_SYSCALL_MAX][TAP_SYSCALL_NAME_SIZE] = TAP_SYSCALL_NAMES;

static __always_inline void tap_syscall_name(char *dst, tap_long nr)
{
	__u64 i = (__u64)nr;

	if (i >= TAP_SYSCALL_MAX) {
		dst[0] = '\0';
		return;
	}
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_syscall_names[i]);
}
#else
static inline void tap_syscall_name(char *dst, tap_long nr)
{
	static const char names[TAP_SYSCALL_MAX][TAP_SYSCALL_NAME_SIZE] = TAP_SYSCALL_NAMES;
	__u64 i = (__u64)nr;

	tap_str_copy(dst, i < TAP_SYSCALL_MAX ? names[i] : "");
}
#endif

#endif /* TAP_SYSCALL_NAME_H */
