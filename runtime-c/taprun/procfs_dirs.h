/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The directories and FIFOs of procfs probes (procfs.c). */
#ifndef TAPRUN_PROCFS_DIRS_H
#define TAPRUN_PROCFS_DIRS_H

#include <stddef.h>

/*
 * Opens /var/tmp/systemtap-USER/MODULE (making what is missing), writes
 * its path to `path`; the directory's descriptor, or -1 with `why`.
 */
int procfs_module_dir(const char *module, char *path, size_t pathsize,
		      char *why, size_t whysize);
/*
 * Makes FIFO `path` (may have subdirectories) below `dir` with `mode`;
 * sets its directory's descriptor and its last name. 0, or -1 with `why`.
 */
int procfs_fifo(int dir, const char *path, unsigned int mode, int *parent,
		const char **name, char *why, size_t whysize);
/* Removes the FIFO, then its subdirectories that are left empty. */
void procfs_remove(int dir, const char *path, int parent, const char *name);

#endif /* TAPRUN_PROCFS_DIRS_H */
