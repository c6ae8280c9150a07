/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel symbols from /proc/kallsyms, for print_backtrace(). */
#ifndef TAP_USER_SYMS_H
#define TAP_USER_SYMS_H

#include <linux/types.h>
#include "tap_buf.h"

/*
 * Prints one frame as stap's _STP_SYM_FULL does:
 * " 0xffffffff81234567 : name+0x12/0x80 [kernel]\n"
 * (without a symbol: " 0xffffffff81234567\n").
 */
void tap_print_kernel_frame(struct tap_buf *o, __u64 addr);

/* print_stack(stk): each hex address of a backtrace() string as a frame. */
void tap_print_stack_string(struct tap_buf *o, const char *stk);

/*
 * symdata(addr) into dst: "name+0x12/0x80 [kernel]" ([module] for a
 * module's); "0x..." and nonzero where no symbol holds addr.
 */
int tap_kernel_symdata(char *dst, size_t max, __u64 addr);

/* The name of the kernel function at addr, or NULL (symname()). */
const char *tap_kernel_symbol(__u64 addr);

#endif /* TAP_USER_SYMS_H */
