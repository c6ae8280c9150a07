/* SPDX-License-Identifier: GPL-2.0-or-later */
/* taprun for the kmod runtime (docs/kmod.md). */
#ifndef TAPRUN_KMOD_RUN_H
#define TAPRUN_KMOD_RUN_H

#include "manifest.h"
#include "options.h"

/*
 * Runs the kernel module of a kmod module directory: load, start, relay,
 * stop, report, unload. `sfd` is the signalfd of SIGINT/SIGTERM/SIGHUP.
 * Returns taprun's exit status.
 */
int kmod_main(const struct module_files *files, const struct options *o,
	      int sfd);

#endif /* TAPRUN_KMOD_RUN_H */
