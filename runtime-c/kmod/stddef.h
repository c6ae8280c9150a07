/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kbuild compiles with -nostdinc, but runtime-c/common (shared with user
 * space) includes <stddef.h> for size_t and NULL. In a module they come
 * from the kernel's own headers; -I runtime-c/kmod makes this file answer.
 */
#ifndef TAP_KMOD_STDDEF_H
#define TAP_KMOD_STDDEF_H

#include <linux/stddef.h>
#include <linux/types.h>

#endif /* TAP_KMOD_STDDEF_H */
