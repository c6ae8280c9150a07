/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procfs probes on the bpf runtime: as stapbpf, each file is a FIFO in
 * /var/tmp/systemtap-USER/MODULE/. A thread per file waits for a reader
 * or a writer; the event loop runs the probe (probes stay on one thread).
 */
#ifndef TAPRUN_PROCFS_H
#define TAPRUN_PROCFS_H

#include <linux/types.h>

/* The most procfs files a module may offer (pass 3 refuses more: translate/procfs.ts). */
#define PROCFS_MAX_FILES 64

/*
 * Creates the module's FIFOs and starts their threads; a request from one
 * makes `notify_fd` readable (add it to the event loop). 0 without files or
 * once started; -1 after reporting why not.
 */
int procfs_start(int *notify_fd);
/* Runs the probes of the requests queued (the event loop's part). */
void procfs_serve(void);
/* Stops the threads and removes the files and directories made. */
void procfs_stop(void);

#endif /* TAPRUN_PROCFS_H */
