// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Registering kernel-side probes from the module descriptor. A probe of
 * kind TAP_PK_KERNEL names its attach point in `prog`, in libbpf's section
 * syntax: "kprobe/SYMBOL", "kretprobe/SYMBOL", "tracepoint/SYSTEM/EVENT",
 * "uprobe/PATH:OFFSET", "uretprobe/PATH:OFFSET" (OFFSET in the file; an SDT
 * marker's semaphore after it: tap_uprobe_spec.h), and
 * our own "trace_event/SYSTEM/EVENT" (the event's record: below);
 * TAP_PK_TIMER probes become hrtimers. Every hit goes to tap_run_probe().
 * procfs probes' files come and go with these (kmod_procfs.c).
 */
#include <linux/hrtimer.h>
#include <linux/kprobes.h>
#include <linux/namei.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/trace_events.h>
#include <linux/tracepoint.h>
#include <linux/uprobes.h>
#include "kmod_rt.h"
#include "tap_uprobe_spec.h"

enum attach_kind {
	AK_NONE, AK_KPROBE, AK_KRETPROBE, AK_TRACEPOINT, AK_TIMER, AK_PERF,
	AK_TRACE_EVENT, AK_UPROBE
};

struct attachment {
	int index;			/* in tap_module.probes */
	enum attach_kind kind;
	bool registered;
	struct kprobe kp;
	struct kretprobe krp;
	struct tracepoint *tp;
	struct hrtimer timer;
	ktime_t period;
	struct perf_event **events;	/* perf: one per possible CPU */
	struct trace_event_file *tevent;	/* trace events */
	struct uprobe_consumer uc;	/* uprobes, uretprobes */
	struct path upath;
	loff_t uoffset;
};

static struct attachment *att;
static int natt;

static int on_kprobe(struct kprobe *p, struct pt_regs *regs)
{
	tap_run_probe(container_of(p, struct attachment, kp)->index, regs, NULL,
		      NULL);
	return 0;
}

static int on_kretprobe(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);

	if (rp)
		tap_run_probe(container_of(rp, struct attachment, krp)->index,
			      regs, NULL, NULL);
	return 0;
}

/*
 * Tracepoint probes are called with the tracepoint's own arguments after
 * `data`; all of them are integers or pointers, passed in registers, so
 * one handler taking six unsigned longs serves every tracepoint (the unused
 * ones hold whatever the registers held, and nothing reads them).
 */
static void on_tracepoint(void *data, unsigned long a0, unsigned long a1,
			  unsigned long a2, unsigned long a3, unsigned long a4,
			  unsigned long a5)
{
	unsigned long args[6] = { a0, a1, a2, a3, a4, a5 };

	tap_run_probe(((struct attachment *)data)->index, NULL, args, NULL);
}

static enum hrtimer_restart on_timer(struct hrtimer *t)
{
	struct attachment *a = container_of(t, struct attachment, timer);

	tap_run_probe(a->index, NULL, NULL, NULL);
	hrtimer_forward_now(t, a->period);
	return HRTIMER_RESTART;
}

/* Uprobes run in the probed task, at its breakpoint: regs are its own. */
static int on_uprobe(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	tap_run_probe(container_of(uc, struct attachment, uc)->index, regs,
		      NULL, NULL);
	return 0;
}

static int on_uretprobe(struct uprobe_consumer *uc, unsigned long func,
			struct pt_regs *regs)
{
	return on_uprobe(uc, regs);
}

/* perf counters; a trace event's sample carries the event's record */
static void on_perf(struct perf_event *e, struct perf_sample_data *data,
		    struct pt_regs *regs)
{
	struct attachment *a = e->overflow_handler_context;
	const void *record = NULL;

	if (a->kind == AK_TRACE_EVENT) {
		if (!data->raw) {
			atomic64_inc(&tap_rt.skipped);
			return;
		}
		record = data->raw->frag.data;
	}
	tap_run_probe(a->index, regs, NULL, record);
}

static void release_perf(struct attachment *a)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (a->events[cpu] && !IS_ERR(a->events[cpu]))
			perf_event_release_kernel(a->events[cpu]);
	kfree(a->events);
	a->events = NULL;
}

/* One counter per online CPU; each overflow runs the probe. */
static int open_counters(struct attachment *a, const struct tap_probe_desc *p,
			 struct perf_event_attr *attr, char *err,
			 size_t errsize)
{
	int cpu;

	a->events = kcalloc(nr_cpu_ids, sizeof(*a->events), GFP_KERNEL);
	if (!a->events)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct perf_event *e;

		e = perf_event_create_kernel_counter(attr, cpu, NULL, on_perf, a);
		if (IS_ERR(e)) {
			cpus_read_unlock();
			scnprintf(err, errsize, "probe %s: cannot open a perf event on CPU %d (%pe)",
				  p->point, cpu, e);
			release_perf(a);
			return PTR_ERR(e);
		}
		a->events[cpu] = e;
	}
	cpus_read_unlock();
	return 0;
}

/* timer.profile, perf.*: sampling every period_ns (or perf_freq a second) */
static int attach_perf(struct attachment *a, const struct tap_probe_desc *p,
		       char *err, size_t errsize)
{
	struct perf_event_attr attr = {
		.type = p->perf_type,
		.size = sizeof(attr),
		.config = p->perf_config,
		.sample_period = p->period_ns,
		.freq = p->perf_freq != 0,
		.disabled = 0,
	};

	a->kind = AK_PERF;
	return open_counters(a, p, &attr, err, errsize);
}

/*
 * "trace_event/SYS/EVT": a tracepoint whose handler reads the fields of
 * its trace event ($next_pid, $filename). The tracepoint itself passes
 * only its TP_PROTO arguments; the event's record (what the format file
 * describes, what BPF tracepoint programs see) is built by the kernel's
 * perf glue for the event, so the probe is a perf tracepoint counter on
 * every CPU, sampling each hit, and reads the record from the sample.
 */
static int attach_trace_event(struct attachment *a,
			      const struct tap_probe_desc *p, const char *spec,
			      char *err, size_t errsize)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_RAW,
	};
	const char *slash = strchr(spec, '/');
	char system[64];
	int ret;

	a->kind = AK_TRACE_EVENT;
	if (!slash || slash - spec >= sizeof(system)) {
		scnprintf(err, errsize, "probe %s: bad trace event \"%s\"",
			  p->point, spec);
		return -EINVAL;
	}
	strscpy(system, spec, slash - spec + 1);
	a->tevent = trace_get_event_file(NULL, system, slash + 1);
	if (IS_ERR(a->tevent)) {
		ret = PTR_ERR(a->tevent);
		a->tevent = NULL;
		scnprintf(err, errsize, "probe %s: no trace event %s (%pe)",
			  p->point, spec, ERR_PTR(ret));
		return ret;
	}
	attr.config = a->tevent->event_call->event.type;
	ret = open_counters(a, p, &attr, err, errsize);
	if (ret) {
		trace_put_event_file(a->tevent);
		a->tevent = NULL;
	}
	return ret;
}

/*
 * "uprobe/PATH:OFFSET", "uprobe/PATH:OFFSET(SEMAPHORE)" (tap_uprobe_spec.h):
 * the file is looked up once, here, and held until unregistering; the
 * kernel plants the breakpoint in every mapping of it, present and future,
 * and counts an SDT marker's semaphore up in each while it is registered.
 */
static int attach_uprobe(struct attachment *a, const struct tap_probe_desc *p,
			 const char *text, bool ret_probe, char *err,
			 size_t errsize)
{
	struct tap_uprobe_spec spec;
	char *file;
	int ret;

	a->kind = AK_UPROBE;
	if (tap_parse_uprobe_spec(text, &spec)) {
		scnprintf(err, errsize, "probe %s: bad uprobe \"%s\"",
			  p->point, text);
		return -EINVAL;
	}
	file = kstrndup(text, spec.path_len, GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	ret = kern_path(file, LOOKUP_FOLLOW, &a->upath);
	if (ret) {
		scnprintf(err, errsize, "probe %s: cannot find %s (%pe)",
			  p->point, file, ERR_PTR(ret));
		kfree(file);
		return ret;
	}
	kfree(file);
	if (!d_is_reg(a->upath.dentry)) {
		ret = -EINVAL;
	} else {
		a->uoffset = spec.offset;
		if (ret_probe)
			a->uc.ret_handler = on_uretprobe;
		else
			a->uc.handler = on_uprobe;
		ret = uprobe_register_refctr(d_real_inode(a->upath.dentry),
					     spec.offset, spec.semaphore,
					     &a->uc);
	}
	if (ret) {
		scnprintf(err, errsize, "probe %s: cannot register %s on %s (%pe)",
			  p->point, ret_probe ? "uretprobe" : "uprobe", text,
			  ERR_PTR(ret));
		path_put(&a->upath);
	}
	return ret;
}

struct tp_search {
	const char *name;
	struct tracepoint *found;
};

static void match_tracepoint(struct tracepoint *tp, void *priv)
{
	struct tp_search *s = priv;

	if (!strcmp(tp->name, s->name))
		s->found = tp;
}

static int attach_one(struct attachment *a, const struct tap_probe_desc *p,
		      char *err, size_t errsize)
{
	const char *prog = p->prog ? p->prog : "";
	const char *what = "";
	int ret = 0;

	if (p->kind == TAP_PK_TIMER) {
		a->kind = AK_TIMER;
		a->period = ns_to_ktime(max(p->period_ns, 1000LL));
		hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		a->timer.function = on_timer;
		hrtimer_start(&a->timer, a->period, HRTIMER_MODE_REL);
		return 0;
	}
	if (p->kind == TAP_PK_PERF)
		return attach_perf(a, p, err, errsize);
	if (p->kind != TAP_PK_KERNEL) {
		scnprintf(err, errsize, "probe %s: not supported by the kmod runtime yet",
			  p->point);
		return -EOPNOTSUPP;
	}
	if (str_has_prefix(prog, "kprobe/")) {
		a->kind = AK_KPROBE;
		a->kp.symbol_name = prog + strlen("kprobe/");
		a->kp.pre_handler = on_kprobe;
		ret = register_kprobe(&a->kp);
		what = "kprobe";
	} else if (str_has_prefix(prog, "kretprobe/")) {
		a->kind = AK_KRETPROBE;
		a->krp.kp.symbol_name = prog + strlen("kretprobe/");
		a->krp.handler = on_kretprobe;
		ret = register_kretprobe(&a->krp);
		what = "kretprobe";
	} else if (str_has_prefix(prog, "trace_event/")) {
		return attach_trace_event(a, p, prog + strlen("trace_event/"),
					  err, errsize);
	} else if (str_has_prefix(prog, "uprobe/")) {
		return attach_uprobe(a, p, prog + strlen("uprobe/"), false,
				     err, errsize);
	} else if (str_has_prefix(prog, "uretprobe/")) {
		return attach_uprobe(a, p, prog + strlen("uretprobe/"), true,
				     err, errsize);
	} else if (str_has_prefix(prog, "tracepoint/")) {
		struct tp_search s = { strrchr(prog, '/') + 1, NULL };

		a->kind = AK_TRACEPOINT;
		for_each_kernel_tracepoint(match_tracepoint, &s);
		what = "tracepoint";
		a->tp = s.found;
		ret = s.found ? tracepoint_probe_register(s.found,
							  (void *)on_tracepoint, a) :
				-ENOENT;
	} else {
		scnprintf(err, errsize, "probe %s: unknown attach point \"%s\"",
			  p->point, prog);
		return -EINVAL;
	}
	if (ret)
		scnprintf(err, errsize, "probe %s: cannot register %s on %s (%pe)",
			  p->point, what, strchr(prog, '/') + 1, ERR_PTR(ret));
	return ret;
}

int tap_probes_register(char *err, size_t errsize)
{
	const struct tap_module *m = &tap_module;
	int i, ret;

	att = kcalloc(m->nprobes, sizeof(*att), GFP_KERNEL);
	if (!att) {
		scnprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	natt = m->nprobes;
	for (i = 0; i < m->nprobes; i++) {
		const struct tap_probe_desc *p = &m->probes[i];

		att[i].index = i;
		/* session probes run in the worker; procfs ones: below */
		if (p->kind != TAP_PK_KERNEL && p->kind != TAP_PK_TIMER &&
		    p->kind != TAP_PK_PERF)
			continue;
		ret = attach_one(&att[i], p, err, errsize);
		if (ret) {
			tap_probes_unregister();
			return ret;
		}
		att[i].registered = true;
	}
	/* files, not attachments: one per path, for one or two probes */
	ret = tap_procfs_create(err, errsize);
	if (ret)
		tap_probes_unregister();
	return ret;
}

/* Waits until no handler runs any more: then the module may go. */
void tap_probes_unregister(void)
{
	bool tracepoints = false;
	int i;

	tap_procfs_remove();
	for (i = 0; i < natt; i++) {
		struct attachment *a = &att[i];

		if (!a->registered)
			continue;
		a->registered = false;
		switch (a->kind) {
		case AK_KPROBE:
			unregister_kprobe(&a->kp);
			break;
		case AK_KRETPROBE:
			unregister_kretprobe(&a->krp);
			break;
		case AK_TRACEPOINT:
			tracepoint_probe_unregister(a->tp, (void *)on_tracepoint, a);
			tracepoints = true;
			break;
		case AK_TIMER:
			hrtimer_cancel(&a->timer);
			break;
		case AK_PERF:
			release_perf(a);
			break;
		case AK_TRACE_EVENT:
			release_perf(a);
			trace_put_event_file(a->tevent);
			break;
		case AK_UPROBE:
			/* returns once no handler of ours runs any more */
			uprobe_unregister(d_real_inode(a->upath.dentry),
					  a->uoffset, &a->uc);
			path_put(&a->upath);
			break;
		case AK_NONE:
			break;
		}
	}
	if (tracepoints)
		tracepoint_synchronize_unregister();
	kfree(att);
	att = NULL;
	natt = 0;
}
