// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * taprun: run one bpf probe module. The lifecycle (docs/taprun.md): load,
 * begin probes, attach, stream until exit()/-T/signal/error, detach,
 * drain, end or error probes, report, exit with stap's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "loader.h"
#include "kmod_run.h"
#include "options.h"
#include "procfs.h"
#include "target_command.h"
#include "user_rt.h"
#include "user_system.h"

/* How often an idle ring buffer is drained (no per-event wakeups). */
#define DRAIN_INTERVAL_NS (100 * 1000000LL)
#define MAX_TIMERS 64

struct user_timer {
	int fd;
	int probe;
};

static const char *const reason_names[] = {
	[TAP_STOP_NONE] = "none", [TAP_STOP_EXIT] = "exit",
	[TAP_STOP_TIMEOUT] = "timeout", [TAP_STOP_SIGNAL] = "signal",
	[TAP_STOP_ERROR] = "error",
};

static volatile sig_atomic_t late_signals;

/* While stopping, a third signal ends taprun at once (links die with it). */
static void on_late_signal(int sig)
{
	(void)sig;
	if (++late_signals >= 2)
		_exit(1);
}

static int make_timer(long long first_ns, long long period_ns)
{
	struct itimerspec its = {
		.it_value = { first_ns / 1000000000LL, first_ns % 1000000000LL },
		.it_interval = { period_ns / 1000000000LL, period_ns % 1000000000LL },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int epoll_add(int ep, int fd, __u64 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Runs the user-side probes of one kind in priority order (stable). */
static void run_probes(int kind, __u32 required_state)
{
	const struct tap_module *m = tap_rt.mod;
	int order[m->nprobes], n = 0, i, j;

	for (i = 0; i < m->nprobes; i++)
		if (m->probes[i].kind == kind)
			order[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && m->probes[order[j]].priority <
				     m->probes[order[j - 1]].priority; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		/* exit() in a begin probe, an error in an end probe: stop */
		if (kind != TAP_PK_ERROR && tap_rt.session->state != required_state)
			break;
		tap_rt_run_probe(order[i]);
	}
}

enum { TAG_RINGBUF = 1, TAG_SIGNAL, TAG_DRAIN, TAG_DEADLINE, TAG_PROCFS, TAG_TARGET, TAG_TIMER0 = 100 };

static int timer_probes(struct user_timer *t, int ep)
{
	const struct tap_module *m = tap_rt.mod;
	int i, n = 0;

	for (i = 0; i < m->nprobes && n < MAX_TIMERS; i++) {
		if (m->probes[i].kind != TAP_PK_TIMER)
			continue;
		t[n].probe = i;
		t[n].fd = make_timer(m->probes[i].period_ns, m->probes[i].period_ns);
		if (t[n].fd < 0 || epoll_add(ep, t[n].fd, TAG_TIMER0 + n)) {
			tap_report_fatal("cannot start the timer of probe %s: %s",
					 m->probes[i].point, strerror(errno));
			return -1;
		}
		n++;
	}
	return n;
}

static void drain_fd(int fd)
{
	char buf[128];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* stap stops a session that skips more than MAXSKIPPED handlers. */
static void check_skipped(struct loaded_module *lm, unsigned int maxskipped)
{
	if (module_counter(lm, TAP_CNT_SKIPPED) <= maxskipped)
		return;
	tap_report_fatal("Skipped too many probes, check MAXSKIPPED or try again with stap -t for more details.");
	tap_rt.session->state = TAP_STATE_ERROR;
	tap_rt_request_stop(TAP_STOP_ERROR);
}

/* Streams until something stops the session. */
static void run_loop(struct loaded_module *lm, const struct options *o, int sfd)
{
	struct user_timer timers[MAX_TIMERS];
	int ep = epoll_create1(EPOLL_CLOEXEC), ntimers, drain, deadline = -1;
	int procfs_fd = -1;

	if (ep < 0 || epoll_add(ep, module_ringbuf_fd(lm), TAG_RINGBUF) ||
	    epoll_add(ep, sfd, TAG_SIGNAL)) {
		tap_report_fatal("cannot set up the event loop: %s", strerror(errno));
		tap_rt_request_stop(TAP_STOP_ERROR);
		return;
	}
	drain = make_timer(DRAIN_INTERVAL_NS, DRAIN_INTERVAL_NS);
	epoll_add(ep, drain, TAG_DRAIN);
	if (o->timeout_s > 0) {
		deadline = make_timer((long long)(o->timeout_s * 1e9), 0);
		epoll_add(ep, deadline, TAG_DEADLINE);
	}
	if (target_command_fd() >= 0)
		epoll_add(ep, target_command_fd(), TAG_TARGET);
	ntimers = timer_probes(timers, ep);
	if (ntimers < 0)
		tap_rt_request_stop(TAP_STOP_ERROR);
	if (procfs_start(&procfs_fd))
		tap_rt_request_stop(TAP_STOP_ERROR);
	else if (procfs_fd >= 0)
		epoll_add(ep, procfs_fd, TAG_PROCFS);
	while (tap_rt.stop_reason == TAP_STOP_NONE) {
		struct epoll_event ev[16];
		int n = epoll_wait(ep, ev, 16, -1), i;

		if (n < 0 && errno != EINTR)
			break;
		/* whatever woke us, kernel output first: it happened earlier */
		module_drain(lm);
		for (i = 0; i < n; i++) {
			__u64 tag = ev[i].data.u64;

			if (tag == TAG_SIGNAL) {
				drain_fd(sfd);
				tap_rt_request_stop(TAP_STOP_SIGNAL);
			} else if (tag == TAG_DEADLINE) {
				tap_rt_request_stop(TAP_STOP_TIMEOUT);
			} else if (tag == TAG_PROCFS) {
				procfs_serve();
			} else if (tag == TAG_DRAIN) {
				drain_fd(drain);
				check_skipped(lm, o->load.maxskipped);
				/* -c without a pidfd: its end seen here */
				if (target_command_fd() < 0 && target_command_ended())
					tap_rt_request_stop(TAP_STOP_EXIT);
			} else if (tag == TAG_TARGET) {
				/* the -c command ended: so does the session, as stap's */
				if (target_command_ended())
					tap_rt_request_stop(TAP_STOP_EXIT);
			} else if (tag >= TAG_TIMER0) {
				struct user_timer *t = &timers[tag - TAG_TIMER0];

				drain_fd(t->fd);
				if (tap_rt.session->state == TAP_STATE_RUNNING &&
				    tap_rt.stop_reason == TAP_STOP_NONE)
					tap_rt_run_probe(t->probe);
			}
		}
		/* the kernel side may have stopped us (exit(), errors) */
		if (tap_rt.session->state == TAP_STATE_STOPPING)
			tap_rt_request_stop(TAP_STOP_EXIT);
		else if (tap_rt.session->state == TAP_STATE_ERROR)
			tap_rt_request_stop(TAP_STOP_ERROR);
	}
	/* the files go before the end probes: nothing runs a probe after them */
	procfs_stop();
	for (int i = 0; i < (ntimers > 0 ? ntimers : 0); i++)
		close(timers[i].fd);
	close(drain);
	if (deadline >= 0)
		close(deadline);
	close(ep);
}

static int open_output(const char *path)
{
	int fd;

	if (!path)
		return STDOUT_FILENO;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		tap_report_fatal("cannot open output file %s: %s", path,
				 strerror(errno));
	return fd;
}

/* Signals arrive through a signalfd: none interrupts a handler midway. */
static int block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void catch_late_signals(void)
{
	struct sigaction sa = { .sa_handler = on_late_signal };
	sigset_t set;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* End of session: counts, warnings, status. */
static int finish(struct loaded_module *lm)
{
	__u64 errors = tap_rt.user_errors + tap_rt.session->errors;
	__u64 skipped = module_counter(lm, TAP_CNT_SKIPPED);
	__u64 lost = module_counter(lm, TAP_CNT_LOST);
	int status = errors || tap_rt.stop_reason == TAP_STOP_ERROR ? 1 : 0;

	tap_rt_flush();
	if (lost)
		tap_report_warning("Lost %llu events (ring buffer full; try -s)",
				   (unsigned long long)lost);
	if (tap_rt.bad_records)
		tap_report_warning("%llu malformed records from the kernel side",
				   (unsigned long long)tap_rt.bad_records);
	if (errors || skipped)
		tap_report_warning("Number of errors: %llu, skipped probes: %llu",
				   (unsigned long long)errors,
				   (unsigned long long)skipped);
	tap_report_summary(errors, skipped, lost, status);
	return status;
}

int main(int argc, char **argv)
{
	struct module_files files;
	struct loaded_module *lm;
	struct options o;
	char err[2048];
	int sfd, status, ret;

	ret = options_parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 1;
	tap_rt.json = o.json;
	tap_rt.quiet_warnings = o.quiet_warnings;
	sfd = block_stop_signals();
	tap_rt.out_fd = open_output(o.out_path);
	if (tap_rt.out_fd < 0 || sfd < 0)
		return 1;
	if (manifest_read(o.module_dir, &files, err, sizeof(err))) {
		tap_report_fatal("%s", err);
		tap_report_summary(0, 0, 0, 1);
		return 1;
	}
	if (o.command) {
		o.load.target_pid = target_command_start(o.command);
		if (o.load.target_pid < 0) {
			tap_report_summary(0, 0, 0, 1);
			return 1;
		}
	}
	if (files.kmod) {
		/* a kmod module has its defaults compiled in; these are stap's */
		if (o.load.maxmapentries == LIMIT_UNSET)
			o.load.maxmapentries = MAXMAPENTRIES;
		if (o.load.maxerrors == LIMIT_UNSET)
			o.load.maxerrors = MAXERRORS;
		if (o.load.maxskipped == LIMIT_UNSET)
			o.load.maxskipped = MAXSKIPPED;
		return kmod_main(&files, &o, sfd);
	}
	lm = module_load(&files, &o.load);
	if (!lm) {
		target_command_stop();
		tap_report_summary(0, 0, 0, 1);
		return 1;
	}
	run_probes(TAP_PK_BEGIN, TAP_STATE_STARTING);
	if (tap_rt.session->state == TAP_STATE_STARTING) {
		if (module_attach(lm)) {
			target_command_stop();
			module_unload(lm);
			tap_report_summary(0, 0, 0, 1);
			return 1;
		}
		tap_rt.session->state = TAP_STATE_RUNNING;
		tap_report_event("started", NULL);
		/* -c: after what the begin probes printed */
		tap_rt_flush();
		target_command_release();
		run_loop(lm, &o, sfd);
	}
	catch_late_signals();
	/*
	 * Kernel-side probes stop first; their last records come next. Their
	 * handlers return at once outside RUNNING, so once every handler that
	 * began before this store has ended (module_quiesce()), they are as
	 * good as detached: the end probes need not wait for the detaching
	 * itself, which takes an RCU grace period per tracepoint or uprobe
	 * (minutes for a thousand uprobes); module_unload() does it last.
	 */
	if (tap_rt.session->state == TAP_STATE_RUNNING ||
	    tap_rt.session->state == TAP_STATE_STARTING)
		tap_rt.session->state = TAP_STATE_STOPPING;
	module_quiesce(lm);
	module_drain(lm);
	if (tap_rt.session->state == TAP_STATE_ERROR)
		tap_rt_request_stop(TAP_STOP_ERROR);
	tap_report_event("stopping", reason_names[tap_rt.stop_reason ?
						  tap_rt.stop_reason : TAP_STOP_EXIT]);
	run_probes(TAP_PK_END, TAP_STATE_STOPPING);
	if (tap_rt.session->state == TAP_STATE_ERROR)
		run_probes(TAP_PK_ERROR, TAP_STATE_ERROR);
	tap_rt.session->state = TAP_STATE_STOPPED;
	tap_rt_flush();
	target_command_stop();
	tap_wait_commands(sfd, tap_rt.stop_reason == TAP_STOP_SIGNAL ||
				 tap_rt.stop_reason == TAP_STOP_TIMEOUT);
	status = finish(lm);
	module_unload(lm);
	return status;
}
