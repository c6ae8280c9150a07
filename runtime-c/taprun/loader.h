/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading a bpf module: the BPF object, the user part, and their links. */
#ifndef TAPRUN_LOADER_H
#define TAPRUN_LOADER_H

#include <linux/types.h>
#include "manifest.h"
#include "tap_module.h"

/* A load-time limit not given with -D: the module's default applies. */
#define LIMIT_UNSET 0xffffffffu

/* The ring buffer taprun gives a module with kernel-side probes (no -s). */
#define RINGBUF_DEFAULT_MIB 16

struct load_options {
	unsigned int ringbuf_mib;	/* -s; 0: sized from the module */
	unsigned int maxmapentries;
	unsigned int maxerrors;
	unsigned int maxskipped;
	int target_pid;		/* -x: what target() returns; 0 without */
	int verbose;
};

struct loaded_module;

/*
 * Opens the user part (checks its ABI), opens and loads the BPF object,
 * binds the user part's maps and mmaps session and globals into tap_rt.
 * Load-time limits left LIMIT_UNSET take the module's defaults (in opt).
 * Returns NULL after reporting why.
 */
struct loaded_module *module_load(const struct module_files *files,
				  struct load_options *opt);
/* Attaches every kernel-side probe; -1 after reporting the first failure. */
int module_attach(struct loaded_module *lm);
/* Detaches every kernel-side probe (idempotent). */
void module_detach(struct loaded_module *lm);
/* No kernel-side handler of the session still runs (after leaving RUNNING). */
void module_quiesce(struct loaded_module *lm);
/* Consumes whatever is in the ring buffer now. */
void module_drain(struct loaded_module *lm);
int module_ringbuf_fd(struct loaded_module *lm);
/* Sums a per-CPU counter (enum tap_counter). */
__u64 module_counter(struct loaded_module *lm, __u32 which);
void module_unload(struct loaded_module *lm);

#endif /* TAPRUN_LOADER_H */
