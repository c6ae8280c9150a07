// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runtime API of tap_user.h, as taprun implements it for the user part
 * it loads: arrays and statistics through the BPF maps the kernel side
 * uses, output into taprun's stream, context functions of taprun itself.
 * Exported from the taprun executable (-rdynamic).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "tap_errors.h"
#include "tap_format.h"
#include "tap_user.h"
#include "user_rt.h"
#include "user_kmsg.h"
#include "user_syms.h"
#include "user_system.h"
#include "user_usyms.h"

#define API __attribute__((visibility("default")))

API void *tap_globals_ptr_get(void)
{
	return tap_rt.globals;
}

/* ---- errors, exit ---- */

API void tap_exit(struct tap_context *c)
{
	(void)c;
	/* atomically: a kernel-side handler may move it to ERROR meanwhile */
	__sync_val_compare_and_swap(&tap_rt.session->state, TAP_STATE_STARTING,
				    TAP_STATE_STOPPING);
	__sync_val_compare_and_swap(&tap_rt.session->state, TAP_STATE_RUNNING,
				    TAP_STATE_STOPPING);
	tap_rt_request_stop(TAP_STOP_EXIT);
}

API void tap_abort(struct tap_context *c)
{
	(void)c;
	__sync_val_compare_and_swap(&tap_rt.session->state, TAP_STATE_STARTING,
				    TAP_STATE_STOPPED);
	__sync_val_compare_and_swap(&tap_rt.session->state, TAP_STATE_RUNNING,
				    TAP_STATE_STOPPED);
	tap_rt_request_stop(TAP_STOP_EXIT);
}

API const char *tap_pp(struct tap_context *c)
{
	return c->probe < (__u32)tap_rt.mod->nprobes ?
	       tap_rt.mod->probes[c->probe].point : "";
}

API void tap_warn(struct tap_context *c, const char *msg)
{
	(void)c;
	tap_rt_flush();	/* the output before it comes first */
	tap_report_warning("%s", msg);
}

API void tap_error_user(struct tap_context *c, const char *msg)
{
	tap_str_copy(c->errmsg, msg);
	TAP_ERROR(c, TAP_E_USER, TAP_NO_LOC);
}

API void tap_error_message(struct tap_context *c, char *dst)
{
	struct tap_buf b;

	tap_buf_init_string(&b, dst, tap_rt.limits.maxstringlen);
	tap_error_text(&b, c->last_error, c->error_arg, c->errmsg);
	tap_buf_end_string(&b);
}

/* ---- output ---- */

static int aggregate(struct tap_map *m, const void *k, void *agg);
static __u32 pending_fmt;

API void *tap_printf_reserve(struct tap_context *c, __u32 fmt, __u32 size)
{
	(void)c;
	if (fmt >= (__u32)tap_rt.mod->nformats || size != tap_rt.args_size[fmt])
		return NULL;
	pending_fmt = fmt;
	return tap_rt.scratch;
}

API void tap_printf_submit(struct tap_context *c, void *args)
{
	(void)c;
	tap_rt_format(&tap_rt.out, TAP_STREAM_FIELD_MAX, pending_fmt, args);
}

API void tap_sprintf_submit(struct tap_context *c, char *dst, void *args)
{
	__u32 size = tap_rt.limits.maxstringlen;
	char tmp[TAP_MAXSTRINGLEN_MAX];
	struct tap_buf b;

	(void)c;
	/* dst may be one of the arguments: format aside, then copy */
	tap_buf_init_string(&b, tmp, size);
	tap_rt_format(&b, size, pending_fmt, args);
	tap_buf_end_string(&b);
	memcpy(dst, tmp, b.len + 1);
}

API void tap_print_hist(struct tap_context *c, const struct tap_stat_desc *d,
			const void *agg)
{
	(void)c;
	tap_stat_print_hist_style(&tap_rt.out, d, agg, tap_rt.limits.hist_width,
				  tap_rt.limits.hist_elision);
}

API void tap_print_hist_key(struct tap_context *c, struct tap_map *m,
			    const void *k)
{
	char *agg = malloc(m->value_size);

	(void)c;
	if (!agg)
		return;
	aggregate(m, k, agg);
	tap_stat_print_hist_style(&tap_rt.out, m->stat,
				  (struct tap_stat_data *)agg,
				  tap_rt.limits.hist_width,
				  tap_rt.limits.hist_elision);
	free(agg);
}

/* ---- context functions ---- */

API void tap_execname(char *dst)
{
	strcpy(dst, "taprun");
}

API tap_long tap_pid(void)
{
	return getpid();
}

API tap_long tap_ppid(void)
{
	return getppid();
}

API tap_long tap_pgrp(void)
{
	return getpgrp();
}

API tap_long tap_sid(void)
{
	return getsid(0);
}

API tap_long tap_num_online_cpus(void)
{
	return tap_rt.session ? (tap_long)tap_rt.session->online_cpus : 0;
}

/* the parent's comm, from /proc ("" if it cannot be read) */
API void tap_pexecname(char *dst)
{
	char path[64];
	FILE *f;

	dst[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)getppid());
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(dst, MAXSTRINGLEN, f))
		dst[strcspn(dst, "\n")] = '\0';
	fclose(f);
}

/* symname(addr): the function's name from /proc/kallsyms, else the address as the kernel's "%ps" gives it */
/*
 * tokenize(input, delim): the next non-empty token of the last non-empty
 * input, delimited by any character of delim; "" when none is left.
 * User-side probes run one at a time, so one state serves them all.
 */
API void tap_tokenize(char *dst, const char *input, const char *delim)
{
	static char text[TAP_MAXSTRINGLEN_MAX];
	static size_t at, len;
	size_t start;

	if (input[0]) {
		snprintf(text, sizeof(text), "%s", input);
		at = 0;
		len = strlen(text);
	}
	while (at < len && strchr(delim, text[at]))
		at++;
	start = at;
	while (at < len && !strchr(delim, text[at]))
		at++;
	snprintf(dst, tap_rt.limits.maxstringlen, "%.*s", (int)(at - start), text + start);
}

/* print_ustack(stk) and sprint_ustack(stk): a ubacktrace() string, named */
API void tap_print_ustack(const char *stk)
{
	tap_print_ustack_string(&tap_rt.out, stk);
}

API void tap_sprint_ustack(char *dst, const char *stk)
{
	struct tap_buf b;

	tap_buf_init_string(&b, dst, tap_rt.limits.maxstringlen);
	tap_print_ustack_string(&b, stk);
	tap_buf_end_string(&b);
}

/* system(cmd) in a user-side probe: what the probe printed before it first */
API void tap_system(const char *cmd)
{
	tap_rt_flush();
	tap_run_command(cmd);
}

/* printk(level, msg) in a user-side probe */
API void tap_printk(tap_long level, const char *msg)
{
	tap_kmsg_write(level, msg);
}

API void tap_print_stack(const char *stk)
{
	tap_print_stack_string(&tap_rt.out, stk);
}

/* As stap's sprint_syms(): whole lines only, as many as MAXSTRINGLEN holds. */
API void tap_sprint_stack(char *dst, const char *stk)
{
	size_t max = tap_rt.limits.maxstringlen - 1, len = 0;
	const char *p = stk;
	char *end;

	dst[0] = '\0';
	for (;;) {
		unsigned long long addr = strtoull(p, &end, 16);
		char line[512];
		struct tap_buf b;

		if (end == p)
			break;
		tap_buf_init_string(&b, line, sizeof(line));
		tap_print_kernel_frame(&b, addr);
		tap_buf_end_string(&b);
		if (len + b.len > max)
			break;
		memcpy(dst + len, line, b.len + 1);
		len += b.len;
		p = end + strspn(end, " ");
	}
}

API void tap_symdata(char *dst, tap_long addr)
{
	tap_kernel_symdata(dst, tap_rt.limits.maxstringlen, (__u64)addr);
}

/* modname(addr): "kernel" or the module's name; nonzero where no symbol holds addr (stap throws) */
API int tap_modname(char *dst, tap_long addr)
{
	char data[512], *open, *close;

	if (tap_kernel_symdata(data, sizeof(data), (__u64)addr)) {
		dst[0] = '\0';
		return 1;
	}
	open = strrchr(data, '[');
	close = open ? strchr(open, ']') : NULL;
	if (close)
		*close = '\0';
	snprintf(dst, tap_rt.limits.maxstringlen, "%s", open ? open + 1 : "kernel");
	return 0;
}

API void tap_symname(char *dst, tap_long addr)
{
	const char *name = tap_kernel_symbol((__u64)addr);

	if (name)
		snprintf(dst, tap_rt.limits.maxstringlen, "%s", name);
	else
		snprintf(dst, tap_rt.limits.maxstringlen, "0x%llx", (unsigned long long)addr);
}

API tap_long tap_euid(void)
{
	return geteuid();
}

API tap_long tap_egid(void)
{
	return getegid();
}

API tap_long tap_ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (tap_long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* as the kernel side's: the monotonic clock (tap_api.h) */
API tap_long tap_local_clock_ns(void)
{
	return tap_ktime_get_ns();
}

API tap_long tap_cpu_clock_ns(tap_long cpu)
{
	(void)cpu;
	return tap_ktime_get_ns();
}

API tap_long tap_get_cycles(void)
{
	return tap_ktime_get_ns();
}

API int tap_cpu_online(tap_long cpu)
{
	return cpu >= 0 && cpu < tap_num_online_cpus();
}

API tap_long tap_randint(tap_long n)
{
	return arc4random_uniform((uint32_t)n);
}

API tap_long tap_tid(void)
{
	return syscall(SYS_gettid);
}

API tap_long tap_uid(void)
{
	return getuid();
}

API tap_long tap_gid(void)
{
	return getgid();
}

API tap_long tap_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu;
}

API tap_long tap_target(void)
{
	return tap_rt.session ? tap_rt.session->target : 0;
}

API tap_long tap_tz_gmtoff(void)
{
	return tap_rt.session ? tap_rt.session->tz_gmtoff : 0;
}

API void tap_tz_name(char *dst)
{
	snprintf(dst, MAXSTRINGLEN, "%s", tap_rt.session ? tap_rt.session->tz_name : "");
}

/* stp_pid(): the loader's own pid, as stap's is stapio's. */
API tap_long tap_stp_pid(void)
{
	return getpid();
}

API tap_long tap_gettimeofday_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (tap_long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- arrays ---- */

/* Size of a per-CPU value as the bpf syscall reads and writes it. */
static size_t percpu_size(const struct tap_map *m)
{
	return (size_t)tap_rt.ncpus * ((m->value_size + 7) & ~7u);
}

static int full_error(int err)
{
	return err == -E2BIG || err == -ENOMEM || err == -ENOSPC ?
	       TAP_E_MAP_FULL : 0;
}

API int tap_map_get(struct tap_map *m, const void *k, void *v)
{
	if (bpf_map_lookup_elem(m->fd, k, v)) {
		memset(v, 0, m->value_size);
		return 0;
	}
	return 1;
}

API int tap_map_set(struct tap_map *m, const void *k, const void *v)
{
	return full_error(bpf_map_update_elem(m->fd, k, v, BPF_ANY));
}

API int tap_map_add(struct tap_map *m, const void *k, tap_long delta,
		    tap_long *res)
{
	tap_long v = 0;

	bpf_map_lookup_elem(m->fd, k, &v);
	v += delta;
	*res = v;
	return full_error(bpf_map_update_elem(m->fd, k, &v, BPF_ANY));
}

API int tap_map_exists(struct tap_map *m, const void *k)
{
	char v[m->stat ? 1 : m->value_size];

	if (m->stat) {
		void *all = malloc(percpu_size(m));
		int found = all && !bpf_map_lookup_elem(m->fd, k, all);

		free(all);
		return found;
	}
	return !bpf_map_lookup_elem(m->fd, k, v);
}

API void tap_map_delete(struct tap_map *m, const void *k)
{
	bpf_map_delete_elem(m->fd, k);
}

/*
 * The keys there now, then each deleted: deleting while walking restarts
 * the walk, and kernel-side probes that keep adding (delete a in a timer,
 * a[k]++ in a syscall probe) would keep it from ever ending. What they add
 * meanwhile comes after the delete.
 */
API void tap_map_clear(struct tap_map *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), n, i;
	char *keys;

	if (bpf_obj_get_info_by_fd(m->fd, &info, &len) || !info.max_entries)
		return;
	keys = malloc((size_t)info.max_entries * m->key_size);
	if (!keys)
		return;
	for (n = 0; n < info.max_entries; n++) {
		const char *prev = n ? keys + (size_t)(n - 1) * m->key_size : NULL;

		if (bpf_map_get_next_key(m->fd, prev, keys + (size_t)n * m->key_size))
			break;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(m->fd, keys + (size_t)i * m->key_size);
	free(keys);
}

/* ---- statistics ---- */

API int tap_stat_add_key(struct tap_map *m, const void *k, tap_long val)
{
	size_t size = percpu_size(m);
	char *all = calloc(1, size);
	int err;

	if (!all)
		return TAP_E_MAP_FULL;
	if (bpf_map_lookup_elem(m->fd, k, all))
		memset(all, 0, size);
	/* the user side counts as CPU 0: only the sum over CPUs matters */
	tap_stat_add(m->stat, (struct tap_stat_data *)all, val);
	err = full_error(bpf_map_update_elem(m->fd, k, all, BPF_ANY));
	free(all);
	return err;
}

static int aggregate(struct tap_map *m, const void *k, void *agg)
{
	size_t stride = (m->value_size + 7) & ~7u;
	char *all = malloc(percpu_size(m));
	int found;

	if (!all)
		return 0;
	found = !bpf_map_lookup_elem(m->fd, k, all);
	/* a scalar statistic is keyed by a __u32 0; arrays by a struct of 8-byte columns */
	if (found && m->key_size == sizeof(__u32))
		tap_stat_aggregate(m->stat, agg, all, tap_rt.ncpus, stride);
	else if (found)
		tap_stat_aggregate_keyed(m->stat, agg, all, tap_rt.ncpus, stride);
	else
		tap_stat_clear(m->stat, agg);
	free(all);
	return found;
}

API int tap_stat_get(struct tap_map *m, const void *k, void *agg)
{
	return aggregate(m, k, agg) && ((struct tap_stat_data *)agg)->count;
}

/* ---- foreach ---- */

static tap_entry_cmp sort_cmp;
static size_t sort_key_size;

static int entry_cmp(const void *a, const void *b)
{
	return sort_cmp(a, (const char *)a + sort_key_size,
			b, (const char *)b + sort_key_size);
}

API int tap_foreach_begin(struct tap_iter *it, struct tap_map *m,
			  tap_entry_cmp cmp, tap_long limit)
{
	size_t cap = 64, ks = m->key_size;
	char key[ks], next[ks];
	const void *prev = NULL;

	memset(it, 0, sizeof(*it));
	it->key_size = ks;
	it->entry_size = ks + ((m->value_size + 7) & ~7u);
	it->entries = malloc(cap * it->entry_size);
	if (!it->entries)
		return -1;
	while (!bpf_map_get_next_key(m->fd, prev, next)) {
		char *e;
		int ok;

		memcpy(key, next, ks);
		prev = key;
		if (it->count == cap) {
			char *bigger = realloc(it->entries, 2 * cap * it->entry_size);

			if (!bigger)
				break;
			it->entries = bigger;
			cap *= 2;
		}
		e = it->entries + it->count * it->entry_size;
		memcpy(e, key, ks);
		ok = m->stat ? aggregate(m, key, e + ks) :
		     !bpf_map_lookup_elem(m->fd, key, e + ks);
		if (ok)
			it->count++;
	}
	if (cmp && it->count > 1) {
		sort_cmp = cmp;
		sort_key_size = ks;
		qsort(it->entries, it->count, it->entry_size, entry_cmp);
	}
	if (limit > 0 && (size_t)limit < it->count)
		it->count = limit;
	return 0;
}

API int tap_foreach_next(struct tap_iter *it, void *k, void *v)
{
	const char *e;

	if (it->next >= it->count)
		return 0;
	e = it->entries + it->next++ * it->entry_size;
	memcpy(k, e, it->key_size);
	if (v)
		memcpy(v, e + it->key_size, it->entry_size - it->key_size);
	return 1;
}

API void tap_foreach_end(struct tap_iter *it)
{
	free(it->entries);
	it->entries = NULL;
	it->count = it->next = 0;
}
