// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tapprobe: finds out which probe kinds this kernel really offers by trying
 * each one: a two-instruction BPF program is loaded and attached (then
 * closed at once), a map is created, a junk module image is offered to
 * init_module. Nothing is guessed from the kernel version, and nothing stays
 * loaded: every fd is closed before the next probe.
 *
 * Usage: tapprobe [TRACEFS_DIR]
 * Prints one JSON object on stdout:
 *   {"schema":1,"probes":{"tracepoint":{"ok":true},
 *    "kprobe":{"ok":false,"stage":"attach","errno":2,"error":"ENOENT",
 *              "message":"..."}, ...}}
 * "stage" says which step failed: "setup" (a prerequisite such as vmlinux
 * BTF or a tracefs id), "load" (the verifier or the bpf(2) command),
 * "attach", or "create" (maps), "syscall" (modules).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Instruction encodings (the kernel's filter.h macros are not uapi). */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })
#define MOV64_IMM(dst, v) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, v)
#define CALL_HELPER(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* "return 0": the smallest program every type accepts. */
static const struct bpf_insn return_zero[] = { MOV64_IMM(BPF_REG_0, 0), EXIT() };

static int first_result = 1;

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void report_ok(const char *name)
{
	printf("%s\n    ", first_result ? "" : ",");
	first_result = 0;
	json_string(name);
	printf(": {\"ok\": true}");
}

/* err is a positive errno value. */
static void report_fail(const char *name, const char *stage, int err,
			const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	printf("%s\n    ", first_result ? "" : ",");
	first_result = 0;
	json_string(name);
	printf(": {\"ok\": false, \"stage\": ");
	json_string(stage);
	printf(", \"errno\": %d, \"error\": ", err);
	json_string(strerrorname_np(err) ? strerrorname_np(err) : "unknown");
	printf(", \"message\": ");
	json_string(message);
	putchar('}');
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int load(enum bpf_prog_type type, const struct bpf_insn *insns,
		size_t cnt, struct bpf_prog_load_opts *opts)
{
	int fd = bpf_prog_load(type, NULL, "GPL", insns, cnt, opts);

	return fd < 0 ? -errno : fd;
}

static int perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu)
{
	int fd = syscall(SYS_perf_event_open, attr, pid, cpu, -1,
			 PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Attaches prog_fd to a perf event; returns 0 or -errno, closes nothing. */
static int attach_perf(int perf_fd, int prog_fd)
{
	if (ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0)
		return -errno;
	return 0;
}

/* Reads a small decimal number from a file; -errno on failure. */
static long read_number(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Loads prog_type, attaches it to a perf event made by attr, reports. */
static void probe_perf_attach(const char *name, enum bpf_prog_type type,
			      struct perf_event_attr *attr, pid_t pid, int cpu)
{
	int prog, ev, err;

	prog = load(type, return_zero, ARRAY_SIZE(return_zero), NULL);
	if (prog < 0) {
		report_fail(name, "load", -prog, "program load failed");
		return;
	}
	ev = perf_event_open(attr, pid, cpu);
	if (ev < 0) {
		report_fail(name, "attach", -ev, "perf_event_open failed");
		close_fd(prog);
		return;
	}
	err = attach_perf(ev, prog);
	if (err)
		report_fail(name, "attach", -err, "PERF_EVENT_IOC_SET_BPF failed");
	else
		report_ok(name);
	close_fd(ev);
	close_fd(prog);
}

static void probe_tracepoint(const char *tracefs)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char path[PATH_MAX];
	long id;

	snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter/id",
		 tracefs);
	id = read_number(path);
	if (id < 0) {
		report_fail("tracepoint", "setup", (int)-id,
			    "cannot read %s", path);
		return;
	}
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	probe_perf_attach("tracepoint", BPF_PROG_TYPE_TRACEPOINT, &attr, -1, 0);
}

static void probe_raw_tracepoint(void)
{
	int prog, link;

	prog = load(BPF_PROG_TYPE_RAW_TRACEPOINT, return_zero,
		    ARRAY_SIZE(return_zero), NULL);
	if (prog < 0) {
		report_fail("raw_tracepoint", "load", -prog,
			    "program load failed");
		return;
	}
	link = bpf_raw_tracepoint_open("sys_enter", prog);
	if (link < 0)
		report_fail("raw_tracepoint", "attach", errno,
			    "BPF_RAW_TRACEPOINT_OPEN sys_enter failed");
	else
		report_ok("raw_tracepoint");
	close_fd(link);
	close_fd(prog);
}

/* Loads a BPF_PROG_TYPE_TRACING program against a BTF id and attaches it. */
static void probe_tracing(const char *name, struct btf *btf,
			  enum bpf_attach_type attach, const char *const *targets,
			  size_t ntargets, int kind)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	const char *target = NULL;
	int prog, link, id = -ENOENT;
	size_t i;

	if (!btf) {
		report_fail(name, "setup", ENOENT, "no vmlinux BTF");
		return;
	}
	for (i = 0; i < ntargets && id < 0; i++) {
		target = targets[i];
		id = btf__find_by_name_kind(btf, target, kind);
	}
	if (id < 0) {
		report_fail(name, "setup", ENOENT,
			    "no attach target in vmlinux BTF");
		return;
	}
	opts.expected_attach_type = attach;
	opts.attach_btf_id = id;
	prog = load(BPF_PROG_TYPE_TRACING, return_zero,
		    ARRAY_SIZE(return_zero), &opts);
	if (prog < 0) {
		report_fail(name, "load", -prog, "program load for %s failed",
			    target);
		return;
	}
	link = bpf_link_create(prog, 0, attach, NULL);
	if (link < 0)
		report_fail(name, "attach", errno, "link to %s failed", target);
	else
		report_ok(name);
	close_fd(link);
	close_fd(prog);
}

/* Reads the dynamic PMU type of a perf event source, e.g. "kprobe". */
static long pmu_type(const char *pmu)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type",
		 pmu);
	return read_number(path);
}

static void probe_kprobe(void)
{
	static const char func[] = "do_sys_openat2";
	struct perf_event_attr attr = { .size = sizeof(attr) };
	long type = pmu_type("kprobe");

	if (type < 0) {
		report_fail("kprobe", "attach", (int)-type,
			    "no kprobe event source (CONFIG_KPROBES off?)");
		return;
	}
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)func;
	probe_perf_attach("kprobe", BPF_PROG_TYPE_KPROBE, &attr, -1, 0);
}

static void probe_kprobe_multi(void)
{
	static const char *syms[] = { "do_sys_openat2" };
	LIBBPF_OPTS(bpf_prog_load_opts, load_opts);
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	int prog, link;

	load_opts.expected_attach_type = BPF_TRACE_KPROBE_MULTI;
	prog = load(BPF_PROG_TYPE_KPROBE, return_zero,
		    ARRAY_SIZE(return_zero), &load_opts);
	if (prog < 0) {
		report_fail("kprobe_multi", "load", -prog,
			    "program load failed");
		return;
	}
	link_opts.kprobe_multi.syms = syms;
	link_opts.kprobe_multi.cnt = ARRAY_SIZE(syms);
	link = bpf_link_create(prog, 0, BPF_TRACE_KPROBE_MULTI, &link_opts);
	if (link < 0)
		report_fail("kprobe_multi", "attach", errno,
			    "kprobe.multi link failed");
	else
		report_ok("kprobe_multi");
	close_fd(link);
	close_fd(prog);
}

/* The uprobe probe attaches here, in our own executable. */
__attribute__((noinline)) int tapprobe_uprobe_target(int x)
{
	asm volatile("" : : : "memory");
	return x + 1;
}

/* File offset of an address of ours, from /proc/self/maps. */
static long self_file_offset(uintptr_t addr, char *path, size_t pathlen)
{
	unsigned long start, end, off;
	char line[PATH_MAX + 128], file[PATH_MAX];
	FILE *maps = fopen("/proc/self/maps", "re");
	long result = -ENOENT;

	if (!maps)
		return -errno;
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &start, &end,
			   &off, file) != 4)
			continue;
		if (addr >= start && addr < end) {
			snprintf(path, pathlen, "%s", file);
			result = (long)(addr - start + off);
			break;
		}
	}
	fclose(maps);
	return result;
}

static void probe_uprobe(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char path[PATH_MAX];
	long type = pmu_type("uprobe");
	long off;

	if (type < 0) {
		report_fail("uprobe", "attach", (int)-type,
			    "no uprobe event source (CONFIG_UPROBE_EVENTS off?)");
		return;
	}
	off = self_file_offset((uintptr_t)tapprobe_uprobe_target, path,
			       sizeof(path));
	if (off < 0) {
		report_fail("uprobe", "setup", (int)-off,
			    "cannot find our own text in /proc/self/maps");
		return;
	}
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)path;
	attr.config2 = off;
	/* Only this process: nothing else ever hits the probe. */
	probe_perf_attach("uprobe", BPF_PROG_TYPE_KPROBE, &attr, 0, -1);
}

static void probe_perf_event(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };

	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 10000000;
	probe_perf_attach("perf_event", BPF_PROG_TYPE_PERF_EVENT, &attr, -1, 0);
}

/*
 * bpf_loop(1, callback, NULL, 0): the verifier must accept a callback. A
 * program with subprograms needs BTF func_info, so a minimal BTF (one int,
 * one prototype, two static functions) is loaded with it.
 */
static void probe_bpf_loop(void)
{
	const struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_1, 1),
		/* r2 = &callback (insn 8 = 1 + imm + 1) */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_FUNC, 0, 6),
		INSN(0, 0, 0, 0, 0),
		MOV64_IMM(BPF_REG_3, 0),
		MOV64_IMM(BPF_REG_4, 0),
		CALL_HELPER(BPF_FUNC_loop),
		MOV64_IMM(BPF_REG_0, 0),
		EXIT(),
		/* callback: return 0 (continue) */
		MOV64_IMM(BPF_REG_0, 0),
		EXIT(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	struct bpf_func_info funcs[2];
	struct btf *btf = btf__new_empty();
	int proto, prog, err;

	if (!btf) {
		report_fail("bpf_loop", "setup", errno, "cannot build BTF");
		return;
	}
	proto = btf__add_func_proto(btf, btf__add_int(btf, "int", 4,
						      BTF_INT_SIGNED));
	funcs[0] = (struct bpf_func_info){
		0, btf__add_func(btf, "probe", BTF_FUNC_STATIC, proto) };
	funcs[1] = (struct bpf_func_info){
		8, btf__add_func(btf, "step", BTF_FUNC_STATIC, proto) };
	err = btf__load_into_kernel(btf);
	if (err) {
		report_fail("bpf_loop", "setup", -err, "BTF load failed");
		btf__free(btf);
		return;
	}
	opts.prog_btf_fd = btf__fd(btf);
	opts.func_info = funcs;
	opts.func_info_cnt = ARRAY_SIZE(funcs);
	opts.func_info_rec_size = sizeof(funcs[0]);
	prog = load(BPF_PROG_TYPE_TRACEPOINT, insns, ARRAY_SIZE(insns), &opts);
	if (prog < 0)
		report_fail("bpf_loop", "load", -prog, "program load failed");
	else
		report_ok("bpf_loop");
	close_fd(prog);
	btf__free(btf);
}

static void probe_ringbuf(void)
{
	int map = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0,
				 getpagesize(), NULL);

	if (map < 0)
		report_fail("ringbuf", "create", errno, "map create failed");
	else
		report_ok("ringbuf");
	close_fd(map);
}

/* Helpers that the translator reaches for, seen from a tracepoint program. */
static void probe_helpers(void)
{
	static const struct {
		const char *name;
		enum bpf_func_id id;
	} helpers[] = {
		{ "helper:snprintf", BPF_FUNC_snprintf },
		{ "helper:get_current_task_btf", BPF_FUNC_get_current_task_btf },
		{ "helper:probe_read_user_str", BPF_FUNC_probe_read_user_str },
		{ "helper:probe_read_kernel_str", BPF_FUNC_probe_read_kernel_str },
		{ "helper:get_stackid", BPF_FUNC_get_stackid },
		{ "helper:ringbuf_reserve", BPF_FUNC_ringbuf_reserve },
		{ "helper:ktime_get_boot_ns", BPF_FUNC_ktime_get_boot_ns },
	};
	size_t i;
	int ret, prog;

	/*
	 * libbpf's helper probe reads an empty verifier log as "supported", so
	 * first make sure this process may load a tracepoint program at all.
	 */
	prog = load(BPF_PROG_TYPE_TRACEPOINT, return_zero,
		    ARRAY_SIZE(return_zero), NULL);
	if (prog < 0) {
		for (i = 0; i < ARRAY_SIZE(helpers); i++)
			report_fail(helpers[i].name, "load", -prog,
				    "no tracepoint program loads");
		return;
	}
	close_fd(prog);
	for (i = 0; i < ARRAY_SIZE(helpers); i++) {
		ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
					      helpers[i].id, NULL);
		if (ret == 1)
			report_ok(helpers[i].name);
		else if (ret == 0)
			report_fail(helpers[i].name, "load", EINVAL,
				    "the verifier does not know this helper");
		else
			report_fail(helpers[i].name, "load", -ret,
				    "helper probe failed");
	}
}

/*
 * Offers init_module a 64-byte image of zeros. It is not ELF, so it can never
 * load; the kernel's answer tells why it would refuse a real one:
 * ENOSYS (no CONFIG_MODULES), EPERM (modules_disabled, no CAP_SYS_MODULE,
 * lockdown), EKEYREJECTED (signatures enforced), ENOEXEC (would load).
 */
static void probe_modules(void)
{
	static const char junk[64];
	int err;

	if (syscall(SYS_init_module, junk, sizeof(junk), "") == 0) {
		/* Impossible for a non-ELF image; say so rather than lie. */
		report_fail("modules", "syscall", EINVAL,
			    "init_module accepted a junk image");
		return;
	}
	err = errno;
	switch (err) {
	case ENOEXEC:
	case EINVAL:
	case EFAULT:
		report_ok("modules");
		break;
	case ENOSYS:
		report_fail("modules", "syscall", err,
			    "this kernel has no loadable module support");
		break;
	case EPERM:
		report_fail("modules", "syscall", err,
			    "module loading is not permitted (modules_disabled, capability or lockdown)");
		break;
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
		report_fail("modules", "syscall", err,
			    "only signed modules may load");
		break;
	default:
		report_fail("modules", "syscall", err, "init_module refused");
	}
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static const char *find_tracefs(int argc, char **argv)
{
	if (argc > 1)
		return argv[1];
	/* Unreadable (EACCES) is still the right place: report that, not ENOENT. */
	if (access("/sys/kernel/tracing/events", F_OK) == 0 || errno != ENOENT)
		return "/sys/kernel/tracing";
	return "/sys/kernel/debug/tracing";
}

int main(int argc, char **argv)
{
	static const char *const btf_tracepoints[] = { "btf_trace_sched_switch",
						       "btf_trace_sys_enter" };
	static const char *const fentry_funcs[] = { "do_sys_openat2", "vfs_read",
						    "__x64_sys_getpid" };
	const char *tracefs = find_tracefs(argc, argv);
	struct btf *btf;
	int btf_err;

	libbpf_set_print(quiet);
	btf = btf__load_vmlinux_btf();
	btf_err = errno;

	printf("{\"schema\": 1, \"probes\": {");
	if (btf)
		report_ok("btf");
	else
		report_fail("btf", "setup", btf_err, "cannot load vmlinux BTF");
	probe_tracepoint(tracefs);
	probe_raw_tracepoint();
	probe_tracing("btf_tracepoint", btf, BPF_TRACE_RAW_TP, btf_tracepoints,
		      ARRAY_SIZE(btf_tracepoints), BTF_KIND_TYPEDEF);
	probe_tracing("fentry", btf, BPF_TRACE_FENTRY, fentry_funcs,
		      ARRAY_SIZE(fentry_funcs), BTF_KIND_FUNC);
	probe_uprobe();
	probe_perf_event();
	probe_kprobe();
	probe_kprobe_multi();
	probe_bpf_loop();
	probe_ringbuf();
	probe_helpers();
	probe_modules();
	printf("\n}}\n");
	btf__free(btf);
	/* Keep the uprobe target referenced so it is never discarded. */
	return tapprobe_uprobe_target(-1);
}
