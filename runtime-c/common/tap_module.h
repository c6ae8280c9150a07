/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module descriptor: what the generated code tells the runtime about
 * itself. Pass 3 emits exactly one `TAP_MODULE(...)` definition (the bpf
 * runtime's user part exports it as the symbol `tap_module`).
 */
#ifndef TAP_MODULE_H
#define TAP_MODULE_H

#include "tap_context.h"

enum tap_probe_kind {
	TAP_PK_BEGIN = 1,	/* user side, in priority order, before attach */
	TAP_PK_END,		/* user side, after detach and drain */
	TAP_PK_ERROR,		/* user side, instead of end after errors */
	TAP_PK_TIMER,		/* user side, every period_ns (timer.ms/s/...) */
	TAP_PK_KERNEL,		/* kernel side, attached by section name */
	TAP_PK_PERF,		/* kernel side, perf event on every CPU */
	TAP_PK_UPROBE,		/* kernel side, a uprobe at `uprobe` (bpf) */
	TAP_PK_SYSCALL,		/* kernel side, tail-called for syscall_nr (bpf) */
	TAP_PK_PROCFS_READ,	/* user side, when procfs_path is read */
	TAP_PK_PROCFS_WRITE,	/* user side, for each write to procfs_path */
};

struct tap_probe_desc {
	const char *point;	/* the probe point, for messages: "begin" */
	int kind;		/* enum tap_probe_kind */
	long long priority;	/* begin(N)/end(N)/error(N) */
	/* user-side probes: the handler; returns 0 */
	int (*run)(struct tap_context *c);
	/* kernel-side probes: the program's function name */
	const char *prog;
	/* timers: period; perf: sample period (or frequency if perf_freq) */
	long long period_ns;
	__u32 perf_type;	/* PERF_TYPE_SOFTWARE ... */
	__u32 perf_freq;
	__u64 perf_config;	/* PERF_COUNT_SW_CPU_CLOCK ... */
	/* uprobes (bpf): "PATH:0xOFFSET[(0xSEMAPHORE)]" (tap_uprobe_spec.h) */
	const char *uprobe;
	int uretprobe;
	/* dispatched syscall probes (bpf): slot syscall_nr of the program array
	 * tap_sys_enter_LEVEL or tap_sys_exit_LEVEL */
	int syscall_nr;
	int syscall_exit;
	int syscall_level;
	/* procfs probes: the file below the module's directory (kmod:
	 * /proc/systemtap/MODULE, bpf: /var/tmp/systemtap-USER/MODULE), its
	 * permission bits (the umask applied; a file's are those of all its
	 * probes), and a read probe's buffer size with the NUL */
	const char *procfs_path;
	__u32 procfs_mode;
	__u32 procfs_bufsize;
};

/* A map the user side reaches through the runtime (bpf: by name). */
struct tap_map {
	const char *name;	/* also the BPF map name (at most 15 chars) */
	__u32 key_size;
	__u32 value_size;	/* per CPU for statistics */
	__u32 max_entries;	/* 0: unsized, MAXMAPENTRIES at load */
	const struct tap_stat_desc *stat;	/* statistics only */
	int fd;			/* filled in by the runtime */
};

struct tap_module {
	__u32 abi;		/* TAP_ABI_VERSION */
	const char *name;
	const struct tap_probe_desc *probes;
	int nprobes;
	/* printf formats in stap syntax; index = format id */
	const char *const *formats;
	int nformats;
	/* error locations: "operator '/' at <input>:4:52"; index = loc id */
	const char *const *locations;
	int nlocations;
	struct tap_map *const *maps;
	int nmaps;
	__u32 globals_size;	/* sizeof(struct tap_globals) */
};

#define TAP_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

#endif /* TAP_MODULE_H */
