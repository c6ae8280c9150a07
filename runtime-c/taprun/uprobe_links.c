// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tap_uprobe_spec.h"
#include "uprobe_links.h"
#include "uprobe_multi.h"
#include "user_rt.h"

/* One uprobe of the module: its descriptor and its parsed place. */
struct point {
	const struct tap_probe_desc *desc;
	int index;			/* in the probe table: the cookie */
	struct tap_uprobe_spec spec;
};

/* Points of one link sort together: program, file, direction. */
static int same_link_order(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	unsigned long n = x->spec.path_len < y->spec.path_len ?
			  x->spec.path_len : y->spec.path_len;
	int d = strcmp(x->desc->prog, y->desc->prog);

	if (d)
		return d;
	d = memcmp(x->desc->uprobe, y->desc->uprobe, n);
	if (d)
		return d;
	if (x->spec.path_len != y->spec.path_len)
		return x->spec.path_len < y->spec.path_len ? -1 : 1;
	if (x->desc->uretprobe != y->desc->uretprobe)
		return x->desc->uretprobe ? 1 : -1;
	return x->index - y->index;
}

static int same_link(const struct point *x, const struct point *y)
{
	return !strcmp(x->desc->prog, y->desc->prog) &&
	       x->spec.path_len == y->spec.path_len &&
	       !memcmp(x->desc->uprobe, y->desc->uprobe, x->spec.path_len) &&
	       !x->desc->uretprobe == !y->desc->uretprobe;
}

/* Links points[0..n), which share a program, file and direction. */
static int link_run(const struct point *points, int n, const struct uprobe_link_ops *ops)
{
	__u64 *offsets = calloc(n, sizeof(*offsets));
	__u64 *ref_ctrs = calloc(n, sizeof(*ref_ctrs));
	__u64 *cookies = calloc(n, sizeof(*cookies));
	const struct tap_probe_desc *first = points[0].desc;
	char path[PATH_MAX];
	int i, any_ref = 0, prog, fd = -1;

	if (!offsets || !ref_ctrs || !cookies) {
		tap_report_fatal("cannot attach probe %s: out of memory", first->point);
		goto out;
	}
	for (i = 0; i < n; i++) {
		offsets[i] = points[i].spec.offset;
		ref_ctrs[i] = points[i].spec.semaphore;
		cookies[i] = (__u64)points[i].index;
		any_ref |= ref_ctrs[i] != 0;
	}
	memcpy(path, first->uprobe, points[0].spec.path_len);
	path[points[0].spec.path_len] = '\0';
	prog = ops->prog_fd(ops->ctx, first->prog);
	if (prog < 0) {
		tap_report_fatal("probe %s: no program %s in the bpf object", first->point,
				 first->prog);
		goto out;
	}
	fd = uprobe_multi_attach(prog, path, offsets, any_ref ? ref_ctrs : NULL, cookies,
				 (__u32)n, first->uretprobe != 0);
	if (fd < 0) {
		if (n == 1)
			tap_report_fatal("cannot attach probe %s (%s): %s", first->point,
					 first->uprobe, strerror(errno));
		else
			tap_report_fatal("cannot attach probe %s and %d more in %s: %s",
					 first->point, n - 1, path, strerror(errno));
	} else if (ops->keep(ops->ctx, fd)) {
		tap_report_fatal("cannot attach probe %s: out of memory", first->point);
		fd = -1;
	}
out:
	free(offsets);
	free(ref_ctrs);
	free(cookies);
	return fd < 0 ? -1 : 0;
}

int uprobe_links_attach(const struct tap_module *mod, const struct uprobe_link_ops *ops)
{
	struct point *points = calloc(mod->nprobes ? mod->nprobes : 1, sizeof(*points));
	int i, n = 0, start, links = 0;

	if (!points) {
		tap_report_fatal("cannot attach the uprobes: out of memory");
		return -1;
	}
	for (i = 0; i < mod->nprobes; i++) {
		const struct tap_probe_desc *p = &mod->probes[i];

		if (p->kind != TAP_PK_UPROBE)
			continue;
		if (!p->uprobe || !p->prog || tap_parse_uprobe_spec(p->uprobe, &points[n].spec) ||
		    points[n].spec.path_len >= PATH_MAX) {
			tap_report_fatal("cannot attach probe %s: bad uprobe place %s", p->point,
					 p->uprobe ? p->uprobe : "(none)");
			free(points);
			return -1;
		}
		points[n].desc = p;
		points[n].index = i;
		n++;
	}
	qsort(points, n, sizeof(*points), same_link_order);
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && same_link(&points[start], &points[i]); i++)
			;
		if (link_run(points + start, i - start, ops)) {
			free(points);
			return -1;
		}
		links++;
	}
	free(points);
	return links;
}
