/* SPDX-License-Identifier: GPL-2.0-or-later */
/* printk(level, msg) on the bpf runtime: the kernel log, through /dev/kmsg. */
#ifndef TAP_USER_KMSG_H
#define TAP_USER_KMSG_H

/*
 * Writes msg to the kernel log at level (0 KERN_EMERG .. 7 KERN_DEBUG;
 * other values are cut to their low three bits), as stap's printk() does
 * from its module. The kernel files it under the user facility. A log that
 * cannot be written is one WARNING line on stderr, not an error.
 */
void tap_kmsg_write(long level, const char *msg);

#endif /* TAP_USER_KMSG_H */
