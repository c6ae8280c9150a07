/* SPDX-License-Identifier: GPL-2.0-or-later */
/* User-space symbols from the process's mappings, for print_ubacktrace(). */
#ifndef TAP_USER_USYMS_H
#define TAP_USER_USYMS_H

#include <stddef.h>
#include <linux/types.h>
#include "tap_abi.h"
#include "tap_buf.h"

/*
 * Prints the frames of process pid's user stack, innermost first, one per
 * line as stap's _STP_SYM_FULL does. A frame's file is the one with its
 * build-id in ids (taken at the event), else the process's mapping there
 * (while it runs):
 * " 0x000055d0c0a5f1a9 : main+0x19/0x40 [/usr/bin/prog]\n"; a frame in a
 * file without a symbol there: " 0x... [/usr/bin/prog+0x1a9]\n"; a frame
 * outside any mapped file, or of a process gone: " 0x...\n". `brief`
 * (print_ubacktrace_brief()): "main+0x19\n", or "0x...\n" without a symbol.
 */
void tap_print_user_stack(struct tap_buf *o, __u32 pid, const __u64 *frames, size_t n,
			  const struct tap_stack_id *ids, size_t nids, int brief);

/* Makes a file's build-id known (the module's probed files), for frames of processes gone. */
void tap_usyms_learn_file(const char *path);

/* Keeps process pid's mappings (its first ubacktrace() asked for them). */
void tap_usyms_keep_maps(__u32 pid);

/*
 * print_ustack(stk): the addresses of a ubacktrace() string, named through
 * the mappings kept, one frame per line as print_ubacktrace() prints them.
 */
void tap_print_ustack_string(struct tap_buf *o, const char *stk);

#endif /* TAP_USER_USYMS_H */
