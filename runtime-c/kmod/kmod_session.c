// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session: running handlers in their per-CPU contexts, errors and
 * exit(), printf into the output channel, context functions, and the
 * control file /proc/MODULE/ctl through which the loader starts and stops
 * the session. Session probes (begin, end, error) run in an ordered
 * workqueue, so that they may wait for the loader to read their output.
 */
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/sched/prio.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/sched/clock.h>
#include <linux/timex.h>
#include <linux/cpumask.h>
#include <linux/uaccess.h>
#include <linux/cred.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include "kmod_rt.h"
#include "tap_errors.h"
#include "tap_format.h"

struct tap_session_rt tap_rt;

/* who loaded the module: what session probes see as their process */
static struct {
	char comm[TASK_COMM_LEN], pcomm[TASK_COMM_LEN];
	pid_t tgid, pid, ppid, pgrp, sid;
	tap_long uid, gid, euid, egid;
} owner;

static struct workqueue_struct *session_wq;
static struct work_struct start_work, stop_work;
static bool start_failed, started, stop_queued;
static bool registered;	/* kernel-side probes went live */
static DEFINE_MUTEX(ctl_lock);

static struct tap_kctx *kctx_of(struct tap_context *c)
{
	return container_of(c, struct tap_kctx, c);
}

static bool in_session_probe(void)
{
	int cpu = raw_smp_processor_id();

	return current == tap_rt.worker && in_task() &&
	       !atomic_read(&tap_rt.cpu_ctx[cpu]->busy);
}

int tap_locals_slot(void)
{
	return in_session_probe() ? TAP_MAX_CPUS : raw_smp_processor_id();
}

/*
 * Appends a field at line[n], its tabs and newlines as spaces: on the
 * channel they separate fields and records. Returns the new length.
 */
static int report_field(char *line, int n, int size, const char *field)
{
	for (; *field && n < size; field++)
		line[n++] = *field == '\t' || *field == '\n' ? ' ' : *field;
	return n;
}

/* "error\tPROBE\tMESSAGE\tLOCATION\n" on the err channel: taprun words it. */
void tap_report(const char *kind, const char *point, const char *msg,
		const char *loc)
{
	const char *fields[] = { kind, point, msg, loc ? loc : "" };
	char line[MAXSTRINGLEN + 512];
	const int room = sizeof(line) - 1;	/* the last byte: the newline */
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (i && n < room)
			line[n++] = '\t';
		n = report_field(line, n, room, fields[i]);
	}
	line[n++] = '\n';
	tap_channel_write(&tap_rt.err, line, n);
}

static void count_error(void)
{
	if (atomic64_inc_return(&tap_rt.errors) <= tap_maxerrors)
		return;
	/* too many: no more handlers, error probes instead of end probes */
	atomic_set(&tap_rt.state, TAP_STATE_ERROR);
	WRITE_ONCE(tap_rt.exit_requested, true);
}

static void report_error(struct tap_context *c)
{
	const struct tap_module *m = &tap_module;
	const char *loc = NULL;
	char text[MAXSTRINGLEN + 64];
	struct tap_buf b;

	tap_buf_init_string(&b, text, sizeof(text));
	tap_error_text(&b, c->last_error, c->error_arg, c->errmsg);
	tap_buf_end_string(&b);
	if (c->last_error != TAP_E_USER && c->last_loc < (__u32)m->nlocations)
		loc = m->locations[c->last_loc];
	tap_report("error", m->probes[c->probe].point, text, loc);
	count_error();
}

static void run_in(struct tap_kctx *k, int index, long long budget,
		   struct pt_regs *regs, const unsigned long *args,
		   const void *record)
{
	struct tap_context *c = &k->c;

	c->probe = index;
	c->last_error = TAP_E_NONE;
	c->last_loc = TAP_NO_LOC;
	c->nesting = 0;
	c->error_arg = 0;
	c->actionremaining = budget;
	c->errmsg[0] = '\0';
	k->regs = regs;
	k->record = record;
	k->func_entry = false;
	if (args)
		memcpy(k->args, args, sizeof(k->args));
	tap_module.probes[index].run(c);
	if (c->last_error)
		report_error(c);
}

static void run_on_cpu(int index, struct pt_regs *regs,
		       const unsigned long *args, const void *record,
		       char *procfs_buf, __u32 procfs_size)
{
	struct tap_kctx *k;
	int cpu;

	if (atomic_read(&tap_rt.state) != TAP_STATE_RUNNING)
		return;
	/* NMI (hardware perf events): our locks are not NMI-safe */
	if (in_nmi()) {
		atomic64_inc(&tap_rt.skipped);
		return;
	}
	preempt_disable();
	cpu = smp_processor_id();
	k = tap_rt.cpu_ctx[cpu];
	if (atomic_inc_return(&k->busy) == 1) {
		k->c.procfs_buf = procfs_buf;
		k->c.procfs_size = procfs_size;
		run_in(k, index, MAXACTION, regs, args, record);
		k->c.procfs_buf = NULL;
		k->c.procfs_size = 0;
	} else {	/* a probe hit inside a handler on this CPU */
		atomic64_inc(&tap_rt.skipped);
	}
	atomic_dec(&k->busy);
	preempt_enable();
}

void tap_run_probe(int index, struct pt_regs *regs, const unsigned long *args,
		   const void *record)
{
	run_on_cpu(index, regs, args, record, NULL, 0);
}

/*
 * procfs probes run in the reader's or writer's task, which allocated
 * `buf` where it could sleep; the handler runs as kernel-side ones do (this
 * CPU's context, preemption off, MAXACTION), as stap's procfs probes.
 */
void tap_run_procfs_probe(int index, char *buf, __u32 size)
{
	run_on_cpu(index, NULL, NULL, NULL, buf, size);
}

/* Session probes of one kind, in priority order (stable), in the worker. */
static void run_session_probes(int kind, int required_state)
{
	const struct tap_module *m = &tap_module;
	long long prio, next;
	bool more = true;
	int i;

	/* walk the priorities upwards; table order within one priority */
	for (prio = LLONG_MIN; more; prio = next) {
		more = false;
		next = LLONG_MAX;
		for (i = 0; i < m->nprobes; i++) {
			const struct tap_probe_desc *p = &m->probes[i];

			if (p->kind != kind)
				continue;
			if (p->priority == prio) {
				if (atomic_read(&tap_rt.state) != required_state)
					return;
				run_in(tap_rt.session_ctx, i,
				       MAXACTION_INTERRUPTIBLE, NULL, NULL,
				       NULL);
			} else if (p->priority > prio && p->priority <= next) {
				next = p->priority;
				more = true;
			}
		}
	}
}

static void start_session(struct work_struct *w)
{
	char err[256];

	tap_rt.worker = current;
	run_session_probes(TAP_PK_BEGIN, TAP_STATE_STARTING);
	if (atomic_read(&tap_rt.state) == TAP_STATE_STARTING) {
		if (tap_probes_register(err, sizeof(err))) {
			tap_report("fatal", "", err, NULL);
			start_failed = true;
			atomic_set(&tap_rt.state, TAP_STATE_STOPPING);
		} else {
			WRITE_ONCE(registered, true);
			atomic_cmpxchg(&tap_rt.state, TAP_STATE_STARTING,
				       TAP_STATE_RUNNING);
		}
	}
	tap_channel_wake();
}

static void stop_session(struct work_struct *w)
{
	tap_rt.worker = current;
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_RUNNING, TAP_STATE_STOPPING);
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_STARTING, TAP_STATE_STOPPING);
	tap_probes_unregister();
	if (!start_failed) {
		run_session_probes(TAP_PK_END, TAP_STATE_STOPPING);
		run_session_probes(TAP_PK_ERROR, TAP_STATE_ERROR);
	}
	atomic_set(&tap_rt.state, TAP_STATE_STOPPED);
	tap_channel_wake();
}

void tap_exit(struct tap_context *c)
{
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_RUNNING, TAP_STATE_STOPPING);
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_STARTING, TAP_STATE_STOPPING);
	WRITE_ONCE(tap_rt.exit_requested, true);
}

/* abort(): stop at once; neither end nor error probes run */
void tap_abort(struct tap_context *c)
{
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_RUNNING, TAP_STATE_STOPPED);
	atomic_cmpxchg(&tap_rt.state, TAP_STATE_STARTING, TAP_STATE_STOPPED);
	WRITE_ONCE(tap_rt.exit_requested, true);
}

/* warn("msg"): a WARNING line on taprun's standard error; the probe goes on */
void tap_warn(struct tap_context *c, const char *msg)
{
	tap_report("warning", tap_module.probes[c->probe].point, msg, NULL);
}

/* The command's tabs and newlines travel as spaces (tap_report()). */
void tap_system(struct tap_context *c, const char *cmd)
{
	tap_report("system", tap_module.probes[c->probe].point, cmd, NULL);
}

/* As stap's printk(): the level as the record's first character, after KERN_SOH */
void tap_printk(struct tap_context *c, tap_long level, const char *msg)
{
	printk(KERN_SOH "%c%s\n", '0' + (int)(level & 7), msg);
}

void tap_error_user(struct tap_context *c, const char *msg)
{
	strscpy(c->errmsg, msg, MAXSTRINGLEN);
	c->last_error = TAP_E_USER;
	c->last_loc = TAP_NO_LOC;
}

void tap_error_message(struct tap_context *c, char *dst)
{
	struct tap_buf b;

	tap_buf_init_string(&b, dst, MAXSTRINGLEN);
	tap_error_text(&b, c->last_error, c->error_arg, c->errmsg);
	tap_buf_end_string(&b);
}

/* ---- output ---- */

void *tap_printf_reserve(struct tap_context *c, __u32 fmt, __u32 size)
{
	struct tap_kctx *k = kctx_of(c);

	if (fmt >= (__u32)tap_module.nformats || size > sizeof(k->printf_args))
		return NULL;
	k->fmt = fmt;
	return k->printf_args;
}

static void stage_flush(struct tap_buf *b)
{
	tap_channel_write(&tap_rt.out, b->data, b->len);
	b->len = 0;
}

static void format_args(struct tap_kctx *k, struct tap_buf *b, long field_max)
{
	struct tap_value v[TAP_MAX_PRINTF_ARGS];
	char kinds[TAP_MAX_PRINTF_ARGS + 1];
	const char *fmt = tap_module.formats[k->fmt];
	char *a = k->printf_args;
	int n, i;

	n = tap_format_arg_kinds(fmt, kinds, TAP_MAX_PRINTF_ARGS);
	n = min(n, TAP_MAX_PRINTF_ARGS);
	for (i = 0; i < n; i++) {
		if (kinds[i] == 's') {
			a[MAXSTRINGLEN - 1] = '\0';
			v[i].s = a;
			v[i].n = 0;
			a += MAXSTRINGLEN;
		} else {
			memcpy(&v[i].n, a, 8);
			v[i].s = NULL;
			a += 8;
		}
	}
	tap_format(b, field_max, fmt, v, n);
}

void tap_printf_submit(struct tap_context *c, void *args)
{
	struct tap_kctx *k = kctx_of(c);
	struct tap_buf b;

	tap_buf_init(&b, k->stage, sizeof(k->stage));
	b.flush = stage_flush;
	format_args(k, &b, TAP_STREAM_FIELD_MAX);
	stage_flush(&b);
}

void tap_sprintf_submit(struct tap_context *c, char *dst, void *args)
{
	struct tap_kctx *k = kctx_of(c);
	struct tap_buf b;

	tap_buf_init_string(&b, k->stage, MAXSTRINGLEN);
	format_args(k, &b, MAXSTRINGLEN);
	tap_buf_end_string(&b);
	memcpy(dst, k->stage, b.len + 1);
}

void tap_print_hist(struct tap_context *c, const struct tap_stat_desc *d,
		    const void *agg)
{
	struct tap_kctx *k = kctx_of(c);
	struct tap_buf b;

	tap_buf_init(&b, k->stage, sizeof(k->stage));
	b.flush = stage_flush;
	tap_stat_print_hist(&b, d, agg);
	stage_flush(&b);
}

/* ---- the probe's context ---- */

struct pt_regs *tap_regs(struct tap_context *c)
{
	return kctx_of(c)->regs;
}

tap_long tap_return_value(struct tap_context *c)
{
	struct pt_regs *regs = kctx_of(c)->regs;

	return regs ? (tap_long)regs_return_value(regs) : 0;
}

tap_long tap_tp_arg(struct tap_context *c, int i)
{
	return i >= 0 && i < 6 ? (tap_long)kctx_of(c)->args[i] : 0;
}

const void *tap_tp_record(struct tap_context *c)
{
	return kctx_of(c)->record;
}

/* ---- strings and context functions ---- */

int tap_user_string(char *dst, const void *uaddr)
{
	long n;

	pagefault_disable();
	n = strncpy_from_user(dst, (const char __user *)uaddr, MAXSTRINGLEN);
	pagefault_enable();
	if (n < 0) {
		dst[0] = '\0';
		return -EFAULT;
	}
	dst[MAXSTRINGLEN - 1] = '\0';
	return 0;
}

int tap_kernel_string(char *dst, const void *kaddr)
{
	int i;

	for (i = 0; i < MAXSTRINGLEN - 1; i++) {
		if (copy_from_kernel_nofault(&dst[i], (const char *)kaddr + i, 1)) {
			dst[0] = '\0';
			return -EFAULT;
		}
		if (!dst[i])
			return 0;
	}
	dst[i] = '\0';
	return 0;
}

void tap_execname(char *dst)
{
	if (in_session_probe())
		strscpy(dst, owner.comm, MAXSTRINGLEN);
	else
		strscpy(dst, current->comm, MAXSTRINGLEN);
}

tap_long tap_pid(void)
{
	return in_session_probe() ? owner.tgid : current->tgid;
}

tap_long tap_tid(void)
{
	return in_session_probe() ? owner.pid : current->pid;
}

tap_long tap_uid(void)
{
	return in_session_probe() ? owner.uid :
		from_kuid_munged(current_user_ns(), current_uid());
}

tap_long tap_gid(void)
{
	return in_session_probe() ? owner.gid :
		from_kgid_munged(current_user_ns(), current_gid());
}

tap_long tap_cpu(void)
{
	return raw_smp_processor_id();
}

/* pgrp(), sid(): in the initial pid namespace, as stap's */
tap_long tap_pgrp(void)
{
	return in_session_probe() ? owner.pgrp : task_pgrp_nr_ns(current, &init_pid_ns);
}

tap_long tap_sid(void)
{
	return in_session_probe() ? owner.sid : task_session_nr_ns(current, &init_pid_ns);
}

tap_long tap_jiffies(void)
{
	return get_jiffies_64();
}

tap_long tap_num_online_cpus(void)
{
	return num_online_cpus();
}

tap_long tap_ppid(void)
{
	tap_long ppid;

	if (in_session_probe())
		return owner.ppid;
	rcu_read_lock();
	ppid = task_tgid_nr(rcu_dereference(current->real_parent));
	rcu_read_unlock();
	return ppid;
}

void tap_pexecname(char *dst)
{
	if (in_session_probe()) {
		strscpy(dst, owner.pcomm, MAXSTRINGLEN);
		return;
	}
	rcu_read_lock();
	strscpy(dst, rcu_dereference(current->real_parent)->comm, min(MAXSTRINGLEN, TASK_COMM_LEN));
	rcu_read_unlock();
}

tap_long tap_euid(void)
{
	return in_session_probe() ? owner.euid :
		from_kuid_munged(current_user_ns(), current_euid());
}

tap_long tap_egid(void)
{
	return in_session_probe() ? owner.egid :
		from_kgid_munged(current_user_ns(), current_egid());
}

tap_long tap_ktime_get_ns(void)
{
	return ktime_get_ns();
}

tap_long tap_local_clock_ns(void)
{
	return local_clock();
}

tap_long tap_cpu_clock_ns(tap_long cpu)
{
	return cpu_clock((int)cpu);
}

tap_long tap_get_cycles(void)
{
	return get_cycles();
}

int tap_cpu_online(tap_long cpu)
{
	return cpu >= 0 && cpu < nr_cpu_ids && cpu_online((int)cpu);
}

tap_long tap_randint(tap_long n)
{
	return get_random_u32() % (u32)n;
}

/* A field of the task_struct at t, read without faulting (0 where it cannot be). */
#define TASK_FIELD(t, field) ({ \
	typeof(((struct task_struct *)0)->field) v_ = 0; \
	if (copy_from_kernel_nofault(&v_, &((struct task_struct *)(unsigned long)(t))->field, sizeof(v_))) \
		v_ = 0; \
	v_; })

tap_long tap_addr(struct tap_context *c)
{
	struct pt_regs *regs = tap_regs(c);

	return regs ? (tap_long)instruction_pointer(regs) : 0;
}

tap_long tap_user_mode(struct tap_context *c)
{
	struct pt_regs *regs = tap_regs(c);

	return regs ? user_mode(regs) : 0;
}

tap_long tap_uaddr(void)
{
	if (in_session_probe() || !current->mm)
		return 0;
	return (tap_long)instruction_pointer(task_pt_regs(current));
}

void tap_symname(char *dst, tap_long addr)
{
	scnprintf(dst, MAXSTRINGLEN, "%ps", (void *)(unsigned long)addr);
	/* a module's function comes as "name [module]": the name alone, as stap */
	*strchrnul(dst, ' ') = '\0';
}

tap_long tap_task_current(void)
{
	return (tap_long)(unsigned long)current;
}

tap_long tap_pid2task(tap_long pid)
{
	struct task_struct *t = NULL;

	if (pid <= 0 || pid > PID_MAX_LIMIT)
		return 0;
	rcu_read_lock();
	t = pid_task(find_pid_ns((int)pid, &init_pid_ns), PIDTYPE_PID);
	rcu_read_unlock();
	/* an address, as stap's: nothing holds the task once the lock is gone */
	return (tap_long)(unsigned long)t;
}

tap_long tap_task_parent(tap_long t)
{
	return (tap_long)(unsigned long)TASK_FIELD(t, real_parent);
}

tap_long tap_task_pid(tap_long t)
{
	return TASK_FIELD(t, tgid);
}

tap_long tap_task_tid(tap_long t)
{
	return TASK_FIELD(t, pid);
}

tap_long tap_task_ppid(tap_long t)
{
	struct task_struct *p = TASK_FIELD(t, real_parent);

	return p ? TASK_FIELD(p, tgid) : 0;
}

static tap_long cred_id(tap_long t, bool gid)
{
	const struct cred *c = TASK_FIELD(t, cred);
	kuid_t uid = KUIDT_INIT(0);
	kgid_t g = KGIDT_INIT(0);

	if (!c)
		return 0;
	if (gid) {
		if (copy_from_kernel_nofault(&g, &c->gid, sizeof(g)))
			return 0;
		return from_kgid_munged(current_user_ns(), g);
	}
	if (copy_from_kernel_nofault(&uid, &c->uid, sizeof(uid)))
		return 0;
	return from_kuid_munged(current_user_ns(), uid);
}

tap_long tap_task_uid(tap_long t)
{
	return cred_id(t, false);
}

tap_long tap_task_gid(tap_long t)
{
	return cred_id(t, true);
}

void tap_task_execname(char *dst, tap_long t)
{
	char comm[TASK_COMM_LEN];

	if (copy_from_kernel_nofault(comm, ((struct task_struct *)(unsigned long)t)->comm, sizeof(comm)))
		comm[0] = '\0';
	comm[TASK_COMM_LEN - 1] = '\0';
	strscpy(dst, comm, MAXSTRINGLEN);
}

tap_long tap_task_state(tap_long t)
{
	return TASK_FIELD(t, __state);
}

tap_long tap_task_prio(tap_long t)
{
	return TASK_FIELD(t, prio) - MAX_RT_PRIO;
}

tap_long tap_task_nice(tap_long t)
{
	return TASK_FIELD(t, static_prio) - MAX_RT_PRIO - 20;
}

tap_long tap_task_cpu(tap_long t)
{
	return TASK_FIELD(t, thread_info.cpu);
}

tap_long tap_gettimeofday_ns(void)
{
	return ktime_get_real_ns();
}

/* ---- the control file ---- */

static ssize_t ctl_read(struct file *f, char __user *buf, size_t count,
			loff_t *ppos)
{
	char line[200];
	int n;

	n = scnprintf(line, sizeof(line),
		      "state=%d errors=%lld skipped=%lld lost=%lld exit=%d failed=%d owner=%d started=%d\n",
		      atomic_read(&tap_rt.state),
		      (long long)atomic64_read(&tap_rt.errors),
		      (long long)atomic64_read(&tap_rt.skipped),
		      (long long)(atomic64_read(&tap_rt.out.lost) +
				  atomic64_read(&tap_rt.err.lost)),
		      READ_ONCE(tap_rt.exit_requested), start_failed,
		      tap_rt.owner, READ_ONCE(registered));
	return simple_read_from_buffer(buf, count, ppos, line, n);
}

/* "start": begin probes, then register; "stop": unregister, end probes. */
static ssize_t ctl_write(struct file *f, const char __user *buf, size_t count,
			 loff_t *ppos)
{
	char cmd[16];
	size_t n = min(count, sizeof(cmd) - 1);
	ssize_t ret = count;

	if (copy_from_user(cmd, buf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);
	mutex_lock(&ctl_lock);
	if (!strcmp(cmd, "start") && !started) {
		started = true;
		queue_work(session_wq, &start_work);
	} else if (!strcmp(cmd, "stop") && !stop_queued) {
		stop_queued = true;
		WRITE_ONCE(tap_rt.exit_requested, true);
		queue_work(session_wq, &stop_work);
	} else if (strcmp(cmd, "start") && strcmp(cmd, "stop")) {
		ret = -EINVAL;
	}
	mutex_unlock(&ctl_lock);
	return ret;
}

static const struct proc_ops ctl_ops = {
	.proc_read = ctl_read,
	.proc_write = ctl_write,
	.proc_lseek = default_llseek,
};

/* ---- module init and exit ---- */

unsigned int tap_maxmapentries = MAXMAPENTRIES;
unsigned int tap_maxerrors = MAXERRORS;
unsigned int tap_maxskipped = MAXSKIPPED;
static unsigned int bufsize = 4 << 20;
/* lowercase: the uppercase names are macros (tap_limits.h) */
module_param_named(maxmapentries, tap_maxmapentries, uint, 0400);
module_param_named(maxerrors, tap_maxerrors, uint, 0400);
module_param_named(maxskipped, tap_maxskipped, uint, 0400);
module_param(bufsize, uint, 0400);
MODULE_PARM_DESC(bufsize, "bytes of the output channel (a power of two)");
/* tz_gmtoff() and tz_name(): the loader's time zone when it loaded the module */
static long tz_gmtoff;
static char *tz_name = "";
module_param(tz_gmtoff, long, 0400);
MODULE_PARM_DESC(tz_gmtoff, "seconds west of UTC");
module_param(tz_name, charp, 0400);
MODULE_PARM_DESC(tz_name, "the time zone's abbreviation");

/* target(): the process taprun was given (-x, or the command of -c); 0 without */
static int target;
module_param(target, int, 0400);
MODULE_PARM_DESC(target, "the pid target() returns");

tap_long tap_target(void)
{
	return target;
}

/* stp_pid(): the pid of taprun, which loaded the module (stap's: stapio's) */
static int stp_pid;
module_param(stp_pid, int, 0400);
MODULE_PARM_DESC(stp_pid, "the pid stp_pid() returns");

tap_long tap_stp_pid(void)
{
	return stp_pid;
}

/*
 * tokenize(input, delim): the next token of the text the last non-empty
 * input gave, delimiters in a row skipped; the text kept in the context
 * between calls, as stap's runtime keeps it
 */
void tap_tokenize(struct tap_context *c, char *dst, const char *input, const char *delim)
{
	struct tap_kctx *k = kctx_of(c);
	size_t start;

	if (input[0]) {
		strscpy(k->tok_str, input, sizeof(k->tok_str));
		k->tok_at = 0;
		k->tok_len = strlen(k->tok_str);
	}
	while (k->tok_at < k->tok_len && strchr(delim, k->tok_str[k->tok_at]))
		k->tok_at++;
	start = k->tok_at;
	while (k->tok_at < k->tok_len && !strchr(delim, k->tok_str[k->tok_at]))
		k->tok_at++;
	memcpy(dst, k->tok_str + start, k->tok_at - start);
	dst[k->tok_at - start] = '\0';
}

tap_long tap_tz_gmtoff(void)
{
	return tz_gmtoff;
}

void tap_tz_name(char *dst)
{
	strscpy(dst, tz_name ? tz_name : "", MAXSTRINGLEN);
}

static struct proc_dir_entry *proc_dir;

static void free_contexts(void)
{
	int i;

	for (i = 0; i < TAP_MAX_CPUS; i++)
		kvfree(tap_rt.cpu_ctx[i]);
	kvfree(tap_rt.session_ctx);
}

static int alloc_contexts(void)
{
	int i;

	tap_rt.session_ctx = kvzalloc(sizeof(struct tap_kctx), GFP_KERNEL);
	if (!tap_rt.session_ctx)
		return -ENOMEM;
	for (i = 0; i < nr_cpu_ids; i++) {
		tap_rt.cpu_ctx[i] = kvzalloc(sizeof(struct tap_kctx), GFP_KERNEL);
		if (!tap_rt.cpu_ctx[i])
			return -ENOMEM;
	}
	return 0;
}

static void teardown(void)
{
	if (proc_dir)
		proc_remove(proc_dir);
	if (session_wq)
		destroy_workqueue(session_wq);
	tap_maps_free();
	free_contexts();
	tap_channel_free(&tap_rt.out);
	tap_channel_free(&tap_rt.err);
}

static int __init tap_init(void)
{
	char err[300];
	int ret;

	if (nr_cpu_ids > TAP_MAX_CPUS) {
		pr_err("%s: ERROR: this machine has %u possible CPUs; the module was built for at most %d (TAP_MAX_CPUS)\n",
		       KBUILD_MODNAME, nr_cpu_ids, TAP_MAX_CPUS);
		return -EINVAL;
	}
	if (tap_buildid_check(err, sizeof(err))) {
		pr_err("%s: ERROR: %s\n", KBUILD_MODNAME, err);
		return -EINVAL;
	}
	tap_ustack_init();
	if (bufsize < 4096 || bufsize > (1u << 30) || (bufsize & (bufsize - 1))) {
		pr_err("%s: ERROR: bufsize %u is not a power of two between 4 KiB and 1 GiB\n",
		       KBUILD_MODNAME, bufsize);
		return -EINVAL;
	}
	atomic_set(&tap_rt.state, TAP_STATE_STARTING);
	get_task_comm(owner.comm, current);
	owner.tgid = current->tgid;
	owner.pid = current->pid;
	owner.pgrp = task_pgrp_nr_ns(current, &init_pid_ns);
	owner.sid = task_session_nr_ns(current, &init_pid_ns);
	owner.uid = from_kuid_munged(current_user_ns(), current_uid());
	owner.gid = from_kgid_munged(current_user_ns(), current_gid());
	owner.euid = from_kuid_munged(current_user_ns(), current_euid());
	owner.egid = from_kgid_munged(current_user_ns(), current_egid());
	rcu_read_lock();
	owner.ppid = task_tgid_nr(rcu_dereference(current->real_parent));
	get_task_comm(owner.pcomm, rcu_dereference(current->real_parent));
	rcu_read_unlock();
	tap_rt.owner = current->tgid;
	INIT_WORK(&start_work, start_session);
	INIT_WORK(&stop_work, stop_session);
	ret = tap_channel_init(&tap_rt.out, bufsize);
	if (!ret)
		ret = tap_channel_init(&tap_rt.err, 1 << 16);
	if (!ret)
		ret = alloc_contexts();
	if (!ret)
		ret = tap_maps_init();
	if (ret)
		goto fail;
	ret = -ENOMEM;
	session_wq = alloc_ordered_workqueue("%s", 0, KBUILD_MODNAME);
	proc_dir = proc_mkdir(KBUILD_MODNAME, NULL);
	if (!session_wq || !proc_dir || tap_channel_procfs(proc_dir) ||
	    !proc_create("ctl", 0600, proc_dir, &ctl_ops))
		goto fail;
	return 0;
fail:
	pr_err("%s: ERROR: cannot set up the session (%d)\n", KBUILD_MODNAME, ret);
	teardown();
	return ret;
}

/* delete_module: a session still running stops without end probes. */
static void __exit tap_cleanup(void)
{
	if (session_wq)
		flush_workqueue(session_wq);
	atomic_set(&tap_rt.state, TAP_STATE_STOPPED);
	tap_probes_unregister();
	tap_ustack_cleanup();
	teardown();
}

module_init(tap_init);
module_exit(tap_cleanup);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tapfleet probe module (kmod runtime)");
MODULE_INFO(build_id, TAP_BUILD_ID);
#ifdef TAP_SCRIPT_HASH
MODULE_INFO(script_hash, TAP_SCRIPT_HASH);
#endif
