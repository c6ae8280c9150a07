/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A module's uprobes as few uprobe_multi links: one per program, file and
 * direction (entry or return), each point carrying its probe-table index
 * as its cookie. A wildcard's points share one program (pass 3 gives them
 * one handler where its text is the same), so `function("*")` of a
 * program is one link: one attach, and one release whose grace periods
 * the kernel takes together, where a link per point took ~14 s to detach
 * 1670 of them.
 */
#ifndef TAPRUN_UPROBE_LINKS_H
#define TAPRUN_UPROBE_LINKS_H

#include "tap_module.h"

struct uprobe_link_ops {
	/* the fd of the loaded program named so, or -1 */
	int (*prog_fd)(void *ctx, const char *name);
	/* takes a link's fd; nonzero: it could not (the fd is closed) */
	int (*keep)(void *ctx, int fd);
	void *ctx;
};

/*
 * Links every TAP_PK_UPROBE probe of mod. Returns the number of links, or
 * -1 after reporting the first that failed (the links made before it are
 * kept, and released with the others).
 */
int uprobe_links_attach(const struct tap_module *mod, const struct uprobe_link_ops *ops);

#endif /* TAPRUN_UPROBE_LINKS_H */
