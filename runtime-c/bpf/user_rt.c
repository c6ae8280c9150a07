// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The user side's core: the output stream, running user-side handlers,
 * and decoding what kernel-side handlers send through the ring buffer.
 * Both paths format into the same stream, which keeps their order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap_format.h"
#include "tap_uprobe_spec.h"
#include "tap_user.h"
#include "user_rt.h"
#include "user_kmsg.h"
#include "user_syms.h"
#include "user_system.h"
#include "user_usyms.h"

struct tap_rt tap_rt;

static char out_data[1 << 16];

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* reader gone: output is dropped, as stap */
		p += w;
		n -= w;
	}
}

static void flush_out(struct tap_buf *b)
{
	write_all(tap_rt.out_fd, b->data, b->len);
	b->len = 0;
}

void tap_rt_flush(void)
{
	if (tap_rt.out.data)
		flush_out(&tap_rt.out);
}

int tap_rt_init(const struct tap_module *mod,
		const struct tap_build_limits *limits, int out_fd, char *err,
		size_t errsize)
{
	int i, j, n;

	if (limits->maxstringlen < 16 ||
	    limits->maxstringlen > TAP_MAXSTRINGLEN_MAX) {
		snprintf(err, errsize, "user part has MAXSTRINGLEN %u (16..%d)",
			 limits->maxstringlen, TAP_MAXSTRINGLEN_MAX);
		return -1;
	}
	tap_rt.limits = *limits;
	tap_rt.mod = mod;
	tap_rt.out_fd = out_fd;
	tap_buf_init(&tap_rt.out, out_data, sizeof(out_data));
	tap_rt.out.flush = flush_out;
	tap_rt.kinds = calloc(mod->nformats + 1, sizeof(*tap_rt.kinds));
	tap_rt.args_size = calloc(mod->nformats + 1, sizeof(*tap_rt.args_size));
	if (!tap_rt.kinds || !tap_rt.args_size) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (i = 0; i < mod->nformats; i++) {
		n = tap_format_arg_kinds(mod->formats[i], tap_rt.kinds[i],
					 TAP_MAX_PRINTF_ARGS);
		if (n > TAP_MAX_PRINTF_ARGS) {
			snprintf(err, errsize,
				 "format %d has more than %d arguments", i,
				 TAP_MAX_PRINTF_ARGS);
			return -1;
		}
		tap_rt.kinds[i][n] = '\0';
		for (j = 0; j < n; j++)
			tap_rt.args_size[i] += tap_rt.kinds[i][j] == 's' ?
					       limits->maxstringlen : 8;
	}
	return 0;
}

void tap_rt_request_stop(enum tap_stop_reason why)
{
	if (tap_rt.stop_reason == TAP_STOP_NONE)
		tap_rt.stop_reason = why;
}

static __u64 total_errors(void)
{
	return tap_rt.user_errors + (tap_rt.session ? tap_rt.session->errors : 0);
}

void tap_rt_run_probe(int index)
{
	tap_rt_run_procfs(index, NULL, 0);
}

void tap_rt_run_procfs(int index, char *buf, __u32 size)
{
	const struct tap_probe_desc *p = &tap_rt.mod->probes[index];
	struct tap_context *c = &tap_rt.uctx.c;

	memset(c, 0, offsetof(struct tap_context, errmsg));
	c->errmsg[0] = '\0';
	c->procfs_buf = buf;
	c->procfs_size = size;
	c->probe = index;
	c->last_loc = TAP_NO_LOC;
	c->actionremaining = tap_rt.limits.maxaction_interruptible;
	p->run(c);
	if (c->last_error) {
		tap_rt.user_errors++;
		tap_report_error(index, c->last_error, c->last_loc,
				 c->error_arg, c->errmsg);
		if (total_errors() > tap_rt.session->maxerrors) {
			tap_rt.session->state = TAP_STATE_ERROR;
			tap_rt_request_stop(TAP_STOP_ERROR);
		}
	}
	tap_rt_flush();
}

/* Formats printf arguments laid out as TAP_ARGS_SIZE describes. */
void tap_rt_format(struct tap_buf *o, long field_max, __u32 fmt,
		   const char *args)
{
	static char strings[TAP_MAX_PRINTF_ARGS][TAP_MAXSTRINGLEN_MAX];
	__u32 slot = tap_rt.limits.maxstringlen;
	struct tap_value v[TAP_MAX_PRINTF_ARGS];
	const char *k = tap_rt.kinds[fmt];
	int i;

	for (i = 0; k[i]; i++) {
		if (k[i] == 's') {
			/* in place when it ends within its slot, else a copy that does */
			if (memchr(args, '\0', slot)) {
				v[i].s = args;
			} else {
				memcpy(strings[i], args, slot);
				strings[i][slot - 1] = '\0';
				v[i].s = strings[i];
			}
			v[i].n = 0;
			args += slot;
		} else {
			memcpy(&v[i].n, args, 8);
			v[i].s = NULL;
			args += 8;
		}
	}
	tap_format(o, field_max, tap_rt.mod->formats[fmt], v, i);
}

/* The frames of a kernel stack, innermost first, as print_backtrace(). */
static void print_backtrace(const struct tap_rec_backtrace *r, size_t size)
{
	__s64 n = r->bytes / 8, i;
	/* the module's MAXBACKTRACE decides how many frames the record has */
	__s64 room = (size - offsetof(struct tap_rec_backtrace, frames)) / 8;

	for (i = 0; i < n && i < room && r->frames[i]; i++)
		tap_print_kernel_frame(&tap_rt.out, r->frames[i]);
}

/* The module's probed files: a stack of a process gone names its frames there. */
static void learn_probed_files(void)
{
	static int learnt;
	struct tap_uprobe_spec spec;
	char path[4096];
	int i;

	if (learnt++)
		return;
	for (i = 0; i < tap_rt.mod->nprobes; i++) {
		const struct tap_probe_desc *p = &tap_rt.mod->probes[i];

		if (p->kind != TAP_PK_UPROBE || !p->uprobe ||
		    tap_parse_uprobe_spec(p->uprobe, &spec) ||
		    spec.path_len >= sizeof(path))
			continue;
		memcpy(path, p->uprobe, spec.path_len);
		path[spec.path_len] = '\0';
		tap_usyms_learn_file(path);
	}
}

/* The frames of a user stack, as print_ubacktrace() (or its brief form). */
static void print_ubacktrace(const struct tap_rec_ubacktrace *r, size_t size)
{
	/* the module's MAXBACKTRACE (room) decides where ids start */
	size_t room = (size - offsetof(struct tap_rec_ubacktrace, frames)) /
		      (sizeof(__u64) + sizeof(struct tap_stack_id));
	const struct tap_stack_id *ids = (const void *)(r->frames + room);
	__s64 n = r->bytes / 8, nids = r->id_bytes / (__s64)sizeof(*ids);

	n = n < 0 ? 0 : n > (__s64)room ? (__s64)room : n;
	nids = nids < 0 ? 0 : nids > (__s64)room ? (__s64)room : nids;
	learn_probed_files();
	tap_print_user_stack(&tap_rt.out, r->pid, r->frames, n, ids, nids, r->flags & TAP_USTACK_BRIEF);
}

int tap_rt_handle_record(void *ctx, void *data, size_t size)
{
	const struct tap_rec_hdr *h = data;

	(void)ctx;
	if (size < sizeof(*h)) {
		tap_rt.bad_records++;
		return 0;
	}
	switch (h->kind) {
	case TAP_REC_PRINTF:
		if (h->id >= (__u32)tap_rt.mod->nformats ||
		    size < sizeof(*h) + tap_rt.args_size[h->id]) {
			tap_rt.bad_records++;
			break;
		}
		tap_rt_format(&tap_rt.out, TAP_STREAM_FIELD_MAX, h->id,
			      (const char *)(h + 1));
		break;
	case TAP_REC_ERROR:
	case TAP_REC_WARN: {
		const struct tap_rec_error *e = data;
		size_t at = offsetof(struct tap_rec_error, msg);
		char msg[TAP_MAXSTRINGLEN_MAX];
		size_t n;

		if (size < at + 1) {
			tap_rt.bad_records++;
			break;
		}
		/* msg is MAXSTRINGLEN of the module: what the record holds */
		n = size - at < sizeof(msg) ? size - at : sizeof(msg);
		memcpy(msg, e->msg, n);
		msg[n - 1] = '\0';
		if (h->kind == TAP_REC_WARN) {
			tap_rt_flush();
			tap_report_warning("%s", msg);
			break;
		}
		tap_report_error(e->hdr.id, e->code, e->loc, e->arg, msg);
		if (tap_rt.session->state == TAP_STATE_ERROR)
			tap_rt_request_stop(TAP_STOP_ERROR);
		break;
	}
	case TAP_REC_EXIT:
		tap_rt_request_stop(TAP_STOP_EXIT);
		break;
	case TAP_REC_HIST: {
		struct tap_map *m = h->id < (__u32)tap_rt.mod->nmaps ?
				    tap_rt.mod->maps[h->id] : NULL;

		if (!m || !m->stat || size < sizeof(*h) + m->key_size) {
			tap_rt.bad_records++;
			break;
		}
		tap_print_hist_key(&tap_rt.uctx.c, m, h + 1);
		break;
	}
	case TAP_REC_BACKTRACE:
		if (size < offsetof(struct tap_rec_backtrace, frames)) {
			tap_rt.bad_records++;
			break;
		}
		print_backtrace(data, size);
		break;
	case TAP_REC_STACK:
	case TAP_REC_SYSTEM:
	case TAP_REC_PRINTK: {
		char text[TAP_MAXSTRINGLEN_MAX];
		size_t n = size - sizeof(*h);

		if (size <= sizeof(*h)) {
			tap_rt.bad_records++;
			break;
		}
		/* the module's MAXSTRINGLEN: what the record holds */
		n = n < sizeof(text) ? n : sizeof(text);
		memcpy(text, h + 1, n);
		text[n - 1] = '\0';
		if (h->kind == TAP_REC_STACK) {
			tap_print_stack_string(&tap_rt.out, text);
		} else if (h->kind == TAP_REC_PRINTK) {
			tap_kmsg_write(h->id, text);
		} else {
			tap_rt_flush();
			tap_run_command(text);
		}
		break;
	}
	case TAP_REC_UMAPS:
		tap_usyms_keep_maps(h->id);
		break;
	case TAP_REC_UBACKTRACE:
		if (size < offsetof(struct tap_rec_ubacktrace, frames)) {
			tap_rt.bad_records++;
			break;
		}
		print_ubacktrace(data, size);
		break;
	default:
		tap_rt.bad_records++;
	}
	return 0;
}
