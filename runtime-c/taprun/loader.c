// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libbpf's generic API (no skeleton: the object is only known at run time).
 * Never calls setrlimit: the kernel charges BPF memory to the cgroup.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "detach.h"
#include "loader.h"
#include "tap_uprobe_spec.h"
#include "timezone.h"
#include "uprobe_links.h"
#include "uprobe_multi.h"
#include "user_rt.h"
#include "verifier_log.h"

struct loaded_module {
	void *dl;
	struct bpf_object *obj;
	struct ring_buffer *rb;
	struct bpf_link **links;
	int nlinks, maxlinks;
	int *perf_fds;
	int nperf;
	int *link_fds;		/* uprobe_multi links (uprobe_multi.h) */
	int nlink_fds, maxlink_fds;
	int uprobe_multi;	/* the module's uprobes are linked so: how many */
	int counters_fd;
	size_t session_len, globals_len, kread_len;
};

static int verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char *message;
	int n;

	if (level == LIBBPF_DEBUG || (!verbose && level == LIBBPF_INFO))
		return 0;
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	/* failures are reported by taprun itself, with the verifier's reason */
	n = vasprintf(&message, fmt, ap);
	if (n >= 0) {
		verifier_log_note(message);
		free(message);
	}
	return 0;
}

static void *map_mmap(struct bpf_map *map, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	*len = (bpf_map__value_size(map) + page - 1) & ~(page - 1);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(map), 0);
	return p == MAP_FAILED ? NULL : p;
}

static const struct tap_module *open_user_part(struct loaded_module *lm,
					       const char *path,
					       const struct tap_build_limits **limits)
{
	const struct tap_module *mod;

	lm->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lm->dl) {
		tap_report_fatal("cannot load the user part: %s", dlerror());
		return NULL;
	}
	mod = dlsym(lm->dl, "tap_module");
	if (!mod) {
		tap_report_fatal("user part %s has no tap_module descriptor", path);
		return NULL;
	}
	if (mod->abi != TAP_ABI_VERSION) {
		tap_report_fatal("user part built for runtime ABI %u; this taprun has ABI %u",
				 mod->abi, TAP_ABI_VERSION);
		return NULL;
	}
	*limits = dlsym(lm->dl, "tap_build_limits");
	if (!*limits) {
		tap_report_fatal("user part %s has no tap_build_limits (built without TAP_MODULE?)",
				 path);
		return NULL;
	}
	return mod;
}

/*
 * The ring buffer's size in bytes: -s if given. Otherwise only kernel-side
 * handlers write to it, so a module without any (begin, end, timers: all
 * run in taprun) gets the smallest ring the kernel allows, one page; the
 * default 16 MiB (4096 pages allocated and charged to the memory cgroup)
 * was a third of such a session's CPU time.
 */
static __u32 ringbuf_bytes(const struct tap_module *mod,
			   const struct load_options *opt)
{
	int i;

	if (opt->ringbuf_mib)
		return opt->ringbuf_mib << 20;
	for (i = 0; i < mod->nprobes; i++)
		if (mod->probes[i].kind == TAP_PK_KERNEL ||
		    mod->probes[i].kind == TAP_PK_PERF ||
		    mod->probes[i].kind == TAP_PK_UPROBE ||
		    mod->probes[i].kind == TAP_PK_SYSCALL)
			return RINGBUF_DEFAULT_MIB << 20;
	return sysconf(_SC_PAGESIZE);
}

/* Sizes set before load: ring buffer, unsized arrays. */
static int configure_maps(struct loaded_module *lm, const struct tap_module *mod,
			  const struct load_options *opt)
{
	struct bpf_map *map;
	int i;

	map = bpf_object__find_map_by_name(lm->obj, "tap_events");
	if (!map || bpf_map__set_max_entries(map, ringbuf_bytes(mod, opt))) {
		tap_report_fatal("bpf object has no tap_events ring buffer");
		return -1;
	}
	for (i = 0; i < mod->nmaps; i++) {
		struct tap_map *m = mod->maps[i];

		map = bpf_object__find_map_by_name(lm->obj, m->name);
		if (!map) {
			tap_report_fatal("bpf object has no map %s", m->name);
			return -1;
		}
		if (bpf_map__key_size(map) != m->key_size ||
		    bpf_map__value_size(map) != m->value_size) {
			tap_report_fatal("map %s: kernel and user parts disagree on its layout",
					 m->name);
			return -1;
		}
		if (!m->max_entries)
			bpf_map__set_max_entries(map, opt->maxmapentries);
	}
	return 0;
}

/*
 * The reader of kernel memory for user-side probes (TAP_USER_KREAD in
 * tap_kernel.h), in a module whose user side reads kernel memory.
 */
static int bind_kernel_reader(struct loaded_module *lm)
{
	struct bpf_map *map = bpf_object__find_map_by_name(lm->obj, "tap_kread");
	struct bpf_program *prog = bpf_object__find_program_by_name(lm->obj, "tap_kread_run");

	tap_rt.kread = NULL;
	tap_rt.kread_prog_fd = -1;
	if (!map && !prog)
		return 0;
	tap_rt.kread = map ? map_mmap(map, &lm->kread_len) : NULL;
	tap_rt.kread_prog_fd = prog ? bpf_program__fd(prog) : -1;
	if (!tap_rt.kread || tap_rt.kread_prog_fd < 0) {
		tap_report_fatal("bpf object has an incomplete kernel reader (tap_kread)");
		return -1;
	}
	return 0;
}

static int bind_maps(struct loaded_module *lm, const struct tap_module *mod)
{
	struct bpf_map *map;
	int i;

	for (i = 0; i < mod->nmaps; i++)
		mod->maps[i]->fd = bpf_map__fd(
			bpf_object__find_map_by_name(lm->obj, mod->maps[i]->name));
	map = bpf_object__find_map_by_name(lm->obj, "tap_session");
	tap_rt.session = map ? map_mmap(map, &lm->session_len) : NULL;
	map = bpf_object__find_map_by_name(lm->obj, "tap_globals");
	tap_rt.globals = map ? map_mmap(map, &lm->globals_len) : NULL;
	map = bpf_object__find_map_by_name(lm->obj, "tap_counters");
	lm->counters_fd = map ? bpf_map__fd(map) : -1;
	if (bind_kernel_reader(lm))
		return -1;
	if (!tap_rt.session || lm->counters_fd < 0) {
		tap_report_fatal("bpf object lacks the runtime's session maps");
		return -1;
	}
	map = bpf_object__find_map_by_name(lm->obj, "tap_globals");
	if (mod->globals_size && (!tap_rt.globals ||
	    bpf_map__value_size(map) != mod->globals_size)) {
		tap_report_fatal("bpf object lacks a tap_globals map of %u bytes",
				 mod->globals_size);
		return -1;
	}
	return 0;
}

static long long boot_to_real_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

static void default_limit(unsigned int *value, unsigned int module_default)
{
	if (*value == LIMIT_UNSET)
		*value = module_default;
}

/*
 * From UPROBE_MULTI_MIN uprobes on, where the kernel has them, uprobes are
 * uprobe_multi links (uprobe_multi.h: they detach many times faster); the
 * programs must be loaded for that attach type.
 */
#define UPROBE_MULTI_MIN 8

static void prefer_uprobe_multi(struct loaded_module *lm, const struct tap_module *mod)
{
	int i, n = 0;

	for (i = 0; i < mod->nprobes; i++)
		n += mod->probes[i].kind == TAP_PK_UPROBE;
	if (n < UPROBE_MULTI_MIN || !uprobe_multi_supported())
		return;
	for (i = 0; i < mod->nprobes; i++) {
		struct bpf_program *prog;

		if (mod->probes[i].kind != TAP_PK_UPROBE)
			continue;
		prog = bpf_object__find_program_by_name(lm->obj, mod->probes[i].prog);
		if (prog)
			bpf_program__set_expected_attach_type(prog, TAP_BPF_TRACE_UPROBE_MULTI);
	}
	lm->uprobe_multi = n;
}

#define PERCPU_VALUE_MAX 32768	/* the kernel's PCPU_MIN_UNIT_SIZE */

/*
 * The kernel refused the object: where the verifier said why, the probe
 * (by its point) and the reason, as a user can act on them.
 */
static void report_load_failure(const struct loaded_module *lm, const struct tap_module *mod,
				int ret, int verbose_run)
{
	const char *prog, *reason, *point = NULL, *map_name;
	const struct bpf_map *map;
	int i;

	if (!verbose_run && verifier_log_reason(&prog, &reason)) {
		for (i = 0; i < mod->nprobes && !point; i++)
			if (mod->probes[i].prog && !strcmp(mod->probes[i].prog, prog))
				point = mod->probes[i].point;
		if (point)
			tap_report_fatal("the kernel's BPF verifier refused probe %s: %s (taprun -v shows its whole log)",
					 point, reason);
		else
			tap_report_fatal("the kernel's BPF verifier refused program %s: %s (taprun -v shows its whole log)",
					 prog, reason);
		return;
	}
	map_name = verifier_log_failed_map();
	map = map_name ? bpf_object__find_map_by_name(lm->obj, map_name) : NULL;
	if (map && bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY &&
	    bpf_map__value_size(map) > PERCPU_VALUE_MAX) {
		/* a probe's or a function's locals and temporaries (strings: MAXSTRINGLEN each) */
		tap_report_fatal("the kernel refused map %s: its value, %u bytes, is more than a per-CPU map holds (%d); "
				 "fewer string temporaries in one probe or function, or a smaller MAXSTRINGLEN (-D), would fit",
				 map_name, bpf_map__value_size(map), PERCPU_VALUE_MAX);
		return;
	}
	if (map) {
		tap_report_fatal("the kernel refused map %s (%u bytes a value, %u entries): %s",
				 map_name, bpf_map__value_size(map), bpf_map__max_entries(map), strerror(-ret));
		return;
	}
	tap_report_fatal("cannot load the bpf object (verifier or kernel refused it): %s%s",
			 strerror(-ret), verbose_run ? "" : " (taprun -v shows the verifier log)");
}

struct loaded_module *module_load(const struct module_files *files,
				  struct load_options *opt)
{
	struct loaded_module *lm = calloc(1, sizeof(*lm));
	const struct tap_build_limits *limits;
	const struct tap_module *mod;
	long long west;
	char err[256];
	int ret;

	if (!lm)
		return NULL;
	verbose = opt->verbose;
	libbpf_set_print(libbpf_print);
	mod = open_user_part(lm, files->user_part, &limits);
	if (!mod)
		goto fail;
	default_limit(&opt->maxmapentries, limits->maxmapentries);
	default_limit(&opt->maxerrors, limits->maxerrors);
	default_limit(&opt->maxskipped, limits->maxskipped);
	if (tap_rt_init(mod, limits, tap_rt.out_fd, err, sizeof(err))) {
		tap_report_fatal("%s", err);
		goto fail;
	}
	lm->obj = bpf_object__open_file(files->bpf_object, NULL);
	if (!lm->obj) {
		tap_report_fatal("cannot open the bpf object %s: %s",
				 files->bpf_object, strerror(errno));
		goto fail;
	}
	if (configure_maps(lm, mod, opt))
		goto fail;
	prefer_uprobe_multi(lm, mod);
	ret = bpf_object__load(lm->obj);
	if (ret) {
		report_load_failure(lm, mod, ret, opt->verbose);
		goto fail;
	}
	if (bind_maps(lm, mod))
		goto fail;
	tap_rt.ncpus = libbpf_num_possible_cpus();
	tap_rt.counters_fd = lm->counters_fd;
	tap_rt.session->state = TAP_STATE_STARTING;
	tap_rt.session->maxerrors = opt->maxerrors;
	tap_rt.session->boot_to_real_ns = boot_to_real_ns();
	tap_rt.session->ncpus = tap_rt.ncpus;
	tap_rt.session->target = opt->target_pid;
	tap_local_timezone(&west, tap_rt.session->tz_name, TAP_TZ_NAME_LEN);
	tap_rt.session->tz_gmtoff = west;
	tap_rt.session->online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	tap_rt.session->stp_pid = getpid();
	lm->rb = ring_buffer__new(
		bpf_map__fd(bpf_object__find_map_by_name(lm->obj, "tap_events")),
		tap_rt_handle_record, NULL, NULL);
	if (!lm->rb) {
		tap_report_fatal("cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return lm;
fail:
	module_unload(lm);
	return NULL;
}

/* items with room for element n (grown, so moved perhaps), or NULL when out of memory. */
static void *with_room(void *items, int n, int *max, size_t size)
{
	void *more;
	int cap;

	if (n < *max)
		return items;
	cap = *max ? 2 * *max : 16;
	more = realloc(items, cap * size);
	if (more)
		*max = cap;
	return more;
}

static int add_link_fd(struct loaded_module *lm, int fd)
{
	int *fds = with_room(lm->link_fds, lm->nlink_fds, &lm->maxlink_fds, sizeof(*fds));

	if (!fds)
		return -1;
	lm->link_fds = fds;
	fds[lm->nlink_fds++] = fd;
	return 0;
}

static int add_link(struct loaded_module *lm, struct bpf_link *link)
{
	struct bpf_link **links = with_room(lm->links, lm->nlinks, &lm->maxlinks, sizeof(*links));

	if (!links)
		return -1;
	lm->links = links;
	links[lm->nlinks++] = link;
	return 0;
}

static int attach_perf(struct loaded_module *lm, const struct tap_probe_desc *p,
		       struct bpf_program *prog)
{
	int cpu, ncpus = libbpf_num_possible_cpus();

	for (cpu = 0; cpu < ncpus; cpu++) {
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = p->perf_type,
			.config = p->perf_config,
			.sample_period = p->period_ns,
			.freq = p->perf_freq ? 1 : 0,
		};
		struct bpf_link *link;
		int *more, fd;

		fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
			     PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue;	/* CPU not present */
			tap_report_fatal("cannot open a perf event for probe %s on CPU %d: %s",
					 p->point, cpu, strerror(errno));
			return -1;
		}
		more = realloc(lm->perf_fds, (lm->nperf + 1) * sizeof(int));
		if (!more) {
			close(fd);
			return -1;
		}
		lm->perf_fds = more;
		lm->perf_fds[lm->nperf++] = fd;
		link = bpf_program__attach_perf_event(prog, fd);
		if (!link || add_link(lm, link)) {
			tap_report_fatal("cannot attach probe %s to CPU %d: %s",
					 p->point, cpu, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * A uprobe at the offset pass 2 found in the file (the manifest's userFiles
 * were checked against this machine's files before load), with an SDT
 * marker's semaphore counted up by the kernel while it is attached, and
 * its probe-table index as the cookie (a handler may serve several points:
 * TAP_ATTACH_INDEX).
 */
static int attach_uprobe(struct loaded_module *lm, const struct tap_probe_desc *p,
			 int index, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = p->uretprobe != 0);
	struct tap_uprobe_spec spec;
	struct bpf_link *link;
	char path[PATH_MAX];

	if (!p->uprobe || tap_parse_uprobe_spec(p->uprobe, &spec) ||
	    spec.path_len >= sizeof(path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(path, p->uprobe, spec.path_len);
	path[spec.path_len] = '\0';
	opts.ref_ctr_offset = spec.semaphore;
	opts.bpf_cookie = (__u64)index;
	link = bpf_program__attach_uprobe_opts(prog, -1, path, spec.offset, &opts);
	if (!link)
		return -1;
	if (add_link(lm, link)) {
		bpf_link__destroy(link);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int program_fd(void *ctx, const char *name)
{
	struct loaded_module *lm = ctx;
	struct bpf_program *prog = bpf_object__find_program_by_name(lm->obj, name);

	return prog ? bpf_program__fd(prog) : -1;
}

static int keep_link_fd(void *ctx, int fd)
{
	if (add_link_fd(ctx, fd)) {
		close(fd);
		return -1;
	}
	return 0;
}

/* All uprobes as uprobe_multi links (uprobe_links.h), when the module prefers them. */
static int attach_uprobe_links(struct loaded_module *lm, const struct tap_module *mod)
{
	const struct uprobe_link_ops ops = { program_fd, keep_link_fd, lm };
	int links;

	if (!lm->uprobe_multi)
		return 0;
	links = uprobe_links_attach(mod, &ops);
	if (links < 0)
		return -1;
	if (verbose)
		fprintf(stderr, "taprun: uprobes: %d uprobe_multi links for %d points\n",
			links, lm->uprobe_multi);
	return 0;
}

/*
 * A dispatched syscall probe: its program into slot syscall_nr of the
 * program array of its direction and level, where the dispatcher (or the
 * probe before it) tail-calls it.
 */
static int install_syscall_probe(struct loaded_module *lm,
				 const struct tap_probe_desc *p,
				 struct bpf_program *prog)
{
	char name[32];
	struct bpf_map *array;
	__u32 nr = (__u32)p->syscall_nr;
	int fd = bpf_program__fd(prog);

	snprintf(name, sizeof(name), "tap_sys_%s_%d",
		 p->syscall_exit ? "exit" : "enter", p->syscall_level);
	array = bpf_object__find_map_by_name(lm->obj, name);
	if (!array || bpf_map_update_elem(bpf_map__fd(array), &nr, &fd, BPF_ANY)) {
		tap_report_fatal("cannot install probe %s in %s[%u]: %s", p->point,
				 name, nr, array ? strerror(errno) : "no such map");
		return -1;
	}
	return 0;
}

/* The dispatchers of syscall probes, once their arrays are filled. */
static int attach_dispatchers(struct loaded_module *lm)
{
	static const char *const names[] = { "tap_sys_enter", "tap_sys_exit" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(lm->obj, names[i]);
		struct bpf_link *link;

		if (!prog)
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			tap_report_fatal("cannot attach the syscall dispatcher %s: %s",
					 names[i], strerror(errno));
			return -1;
		}
		if (add_link(lm, link)) {
			bpf_link__destroy(link);
			return -1;
		}
	}
	return 0;
}

int module_attach(struct loaded_module *lm)
{
	const struct tap_module *mod = tap_rt.mod;
	int i;

	if (attach_uprobe_links(lm, mod))
		return -1;
	for (i = 0; i < mod->nprobes; i++) {
		const struct tap_probe_desc *p = &mod->probes[i];
		struct bpf_program *prog;
		struct bpf_link *link;

		if (p->kind != TAP_PK_KERNEL && p->kind != TAP_PK_PERF &&
		    p->kind != TAP_PK_UPROBE && p->kind != TAP_PK_SYSCALL)
			continue;
		if (p->kind == TAP_PK_UPROBE && lm->uprobe_multi)
			continue;
		prog = bpf_object__find_program_by_name(lm->obj, p->prog);
		if (!prog) {
			tap_report_fatal("probe %s: no program %s in the bpf object",
					 p->point, p->prog);
			return -1;
		}
		if (p->kind == TAP_PK_SYSCALL) {
			if (install_syscall_probe(lm, p, prog))
				return -1;
			continue;
		}
		if (p->kind == TAP_PK_PERF) {
			if (attach_perf(lm, p, prog))
				return -1;
			continue;
		}
		if (p->kind == TAP_PK_UPROBE) {
			if (!attach_uprobe(lm, p, i, prog))
				continue;
			link = NULL;
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			tap_report_fatal("cannot attach probe %s (%s): %s", p->point,
					 p->kind == TAP_PK_UPROBE && p->uprobe ?
					 p->uprobe : bpf_program__section_name(prog),
					 strerror(errno));
			return -1;
		}
		if (add_link(lm, link)) {
			bpf_link__destroy(link);
			return -1;
		}
	}
	return attach_dispatchers(lm);
}

void module_detach(struct loaded_module *lm)
{
	int i;

	destroy_links(lm->links, lm->nlinks);
	lm->nlinks = 0;
	close_link_fds(lm->link_fds, lm->nlink_fds);
	lm->nlink_fds = 0;
	for (i = 0; i < lm->nperf; i++)
		close(lm->perf_fds[i]);
	lm->nperf = 0;
}

/*
 * Waits until no kernel-side handler that may have seen the session
 * running is still running: membarrier(MEMBARRIER_CMD_GLOBAL) is the
 * kernel's synchronize_rcu(), a grace period every BPF program run (under
 * RCU, or with preemption off) that began before it has left. Where it is
 * refused, the links are destroyed now instead, as the kernel's detaching
 * waits the same way.
 */
void module_quiesce(struct loaded_module *lm)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		module_detach(lm);
}

void module_drain(struct loaded_module *lm)
{
	if (lm->rb)
		ring_buffer__consume(lm->rb);
	tap_rt_flush();
}

int module_ringbuf_fd(struct loaded_module *lm)
{
	return ring_buffer__epoll_fd(lm->rb);
}

/*
 * Handlers the kernel did not run because another BPF program was running
 * on that CPU (a probe hit inside a probe): stap's "skipped probes".
 */
static __u64 recursion_misses(struct loaded_module *lm)
{
	struct bpf_program *prog;
	__u64 misses = 0;

	bpf_object__for_each_program(prog, lm->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			misses += info.recursion_misses;
	}
	return misses;
}

__u64 module_counter(struct loaded_module *lm, __u32 which)
{
	int n = libbpf_num_possible_cpus(), i;
	__u64 values[n > 0 ? n : 1], sum = 0;

	if (lm->counters_fd < 0 || n <= 0 ||
	    bpf_map_lookup_elem(lm->counters_fd, &which, values))
		return 0;
	for (i = 0; i < n; i++)
		sum += values[i];
	if (which == TAP_CNT_SKIPPED)
		sum += recursion_misses(lm);
	return sum;
}

void module_unload(struct loaded_module *lm)
{
	if (!lm)
		return;
	module_detach(lm);
	ring_buffer__free(lm->rb);
	if (tap_rt.session)
		munmap(tap_rt.session, lm->session_len);
	if (tap_rt.globals)
		munmap(tap_rt.globals, lm->globals_len);
	if (tap_rt.kread)
		munmap(tap_rt.kread, lm->kread_len);
	tap_rt.kread = NULL;
	tap_rt.kread_prog_fd = -1;
	tap_rt.session = NULL;
	tap_rt.globals = NULL;
	bpf_object__close(lm->obj);
	/* the user part stays mapped: its strings may still be referenced */
	free(lm->links);
	free(lm->link_fds);
	free(lm->perf_fds);
	free(lm);
}
