// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * taprun for kmod modules (docs/kmod.md): remove stale tapfleet modules,
 * load the .ko with finit_module, start the session through
 * /proc/MODULE/ctl, relay /proc/MODULE/out to the output and
 * /proc/MODULE/err to stderr until exit()/-T/a signal/errors, stop (end
 * probes run in the module), report as for bpf, delete_module.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "kmod_run.h"
#include "target_command.h"
#include "user_rt.h"
#include "user_system.h"
#include "timezone.h"

/* How often the channels are drained: the module never wakes us. */
#define POLL_MS 100
#define MODULE_PREFIX "tapfleet_"

struct session_status {
	int state;
	long long errors, skipped, lost;
	int exit_requested, failed, owner;
	int started;		/* kernel-side probes were registered */
};

static int finit_module(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags);
}

static int delete_module(const char *name, int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

static int read_status(const char *name, struct session_status *s)
{
	char path[128], line[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/ctl", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	memset(s, 0, sizeof(*s));
	return sscanf(line, "state=%d errors=%lld skipped=%lld lost=%lld exit=%d failed=%d owner=%d started=%d",
		      &s->state, &s->errors, &s->skipped, &s->lost,
		      &s->exit_requested, &s->failed, &s->owner,
		      &s->started) == 8 ? 0 : -1;
}

static int ctl_command(const char *name, const char *cmd)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%s/ctl", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -1;
	close(fd);
	return ret;
}

/* Unloads, waiting a little for a module that is still busy. */
static int unload(const char *name)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (!delete_module(name, O_NONBLOCK) || errno == ENOENT)
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(100 * 1000);
	}
	return -1;
}

/*
 * A tapfleet module whose loader (the owner recorded at init) is gone was
 * left behind by a killed session: nothing will ever stop it but us.
 */
static void remove_stale_modules(void)
{
	char line[512], name[128];
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct session_status s;

		if (sscanf(line, "%127s", name) != 1 ||
		    strncmp(name, MODULE_PREFIX, strlen(MODULE_PREFIX)))
			continue;
		if (read_status(name, &s) || (s.owner > 0 &&
		    (kill(s.owner, 0) == 0 || errno != ESRCH)))
			continue;
		if (unload(name))
			tap_report_warning("cannot remove stale module %s: %s",
					   name, strerror(errno));
		else
			tap_report_warning("removed stale module %s (its session, pid %d, is gone)",
					   name, s.owner);
	}
	fclose(f);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* One "KIND\tPROBE\tMESSAGE\tLOCATION" line from the module. */
static void report_line(char *line, int *fatal)
{
	char *kind = strsep(&line, "\t"), *probe = strsep(&line, "\t");
	char *msg = strsep(&line, "\t"), *loc = line;

	if (!probe || !msg)
		return;
	if (!strcmp(kind, "fatal")) {
		*fatal = 1;
		tap_report_fatal("%s", msg);
		return;
	}
	if (!strcmp(kind, "warning")) {	/* warn("msg") */
		tap_report_warning("%s", msg);
		return;
	}
	if (!strcmp(kind, "system")) {	/* system("cmd") */
		tap_run_command(msg);
		return;
	}
	if (tap_rt.json) {
		fputs("{\"type\":\"error\",\"message\":", stderr);
		json_string(stderr, msg);
		if (loc && *loc) {
			fputs(",\"location\":", stderr);
			json_string(stderr, loc);
		}
		fputs(",\"probe\":", stderr);
		json_string(stderr, probe);
		fputs("}\n", stderr);
	} else if (loc && *loc) {
		fprintf(stderr, "ERROR: %s near %s\n", msg, loc);
	} else {
		fprintf(stderr, "ERROR: %s\n", msg);
	}
	fflush(stderr);
}

struct channels {
	int out, err;
	char errline[8192];
	size_t errlen;
	int fatal;
};

/* Moves what the channels hold now; returns 1 once both are at EOF. */
static int drain(struct channels *ch)
{
	char buf[65536];
	int eof = 0;
	ssize_t n;

	while ((n = read(ch->out, buf, sizeof(buf))) > 0)
		write_all(tap_rt.out_fd, buf, n);
	eof += n == 0;
	while ((n = read(ch->err, ch->errline + ch->errlen,
			 sizeof(ch->errline) - 1 - ch->errlen)) > 0) {
		char *nl;

		ch->errlen += n;
		ch->errline[ch->errlen] = '\0';
		while ((nl = memchr(ch->errline, '\n', ch->errlen))) {
			*nl = '\0';
			report_line(ch->errline, &ch->fatal);
			ch->errlen -= nl + 1 - ch->errline;
			memmove(ch->errline, nl + 1, ch->errlen);
		}
		if (ch->errlen == sizeof(ch->errline) - 1)
			ch->errlen = 0;	/* an overlong line: dropped */
	}
	eof += n == 0;
	return eof == 2;
}

/* The module's own refusal (build-id, CPUs) is in the kernel log. */
static void report_init_failure(int kmsg, const char *name, int err)
{
	char rec[2048], tag[160];
	int said = 0;
	ssize_t n;

	snprintf(tag, sizeof(tag), "%s: ERROR: ", name);
	while (kmsg >= 0 && (n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
		char *msg, *nl;

		rec[n] = '\0';
		msg = strstr(rec, tag);
		if (!msg)
			continue;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		tap_report_fatal("%s", msg + strlen(tag));
		said = 1;
	}
	if (!said)
		tap_report_fatal("cannot load kernel module %s: %s", name,
				 strerror(err));
}

static int load(const struct module_files *files, const struct options *o)
{
	char params[256], zone[TAP_TZ_NAME_LEN];
	long long west;
	int fd, kmsg, ret, err;

	tap_local_timezone(&west, zone, sizeof(zone));
	snprintf(params, sizeof(params),
		 "maxmapentries=%u maxerrors=%u maxskipped=%u bufsize=%u target=%d stp_pid=%d tz_gmtoff=%lld%s%s",
		 o->load.maxmapentries, o->load.maxerrors, o->load.maxskipped,
		 (o->load.ringbuf_mib ? o->load.ringbuf_mib : RINGBUF_DEFAULT_MIB) << 20,
		 o->load.target_pid, (int)getpid(), west, zone[0] ? " tz_name=" : "", zone);
	fd = open(files->kernel_module, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tap_report_fatal("cannot open %s: %s", files->kernel_module,
				 strerror(errno));
		return -1;
	}
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	ret = finit_module(fd, params, 0);
	err = errno;
	close(fd);
	if (ret && err == EEXIST)
		tap_report_fatal("kernel module %s is already loaded by another session",
				 files->name);
	else if (ret)
		report_init_failure(kmsg, files->name, err);
	if (kmsg >= 0)
		close(kmsg);
	return ret ? -1 : 0;
}

static int open_channel(const char *name, const char *which)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/%s/%s", name, which);
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *run(const char *name, const struct options *o, int sfd,
		       struct channels *ch)
{
	double deadline = o->timeout_s > 0 ? now_s() + o->timeout_s : 0;
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	struct session_status s;
	int started = 0;

	for (;;) {
		int sig = poll(&p, 1, POLL_MS) > 0;
		char buf[128];

		if (read_status(name, &s))
			return "error";
		/* before the output: whatever is in the channels came after */
		if (!started && s.started) {
			started = 1;
			tap_report_event("started", NULL);
		}
		drain(ch);
		/* -c: after what the begin probes printed */
		if (started)
			target_command_release();
		if (sig) {
			while (read(sfd, buf, sizeof(buf)) > 0)
				;
			return "signal";
		}
		if (s.failed || s.state == TAP_STATE_ERROR)
			return "error";
		if (s.exit_requested || s.state == TAP_STATE_STOPPING)
			return "exit";
		if (s.skipped > o->load.maxskipped) {
			tap_report_fatal("Skipped too many probes, check MAXSKIPPED or try again with stap -t for more details.");
			ch->fatal = 1;
			return "error";
		}
		if (deadline && now_s() >= deadline)
			return "timeout";
		/* the -c command ended: so does the session, as stap's */
		if (target_command_ended())
			return "exit";
	}
}

int kmod_main(const struct module_files *files, const struct options *o,
	      int sfd)
{
	struct channels ch = { .out = -1, .err = -1 };
	struct session_status s = { 0 };
	const char *reason;
	int status, signals = 0;

	remove_stale_modules();
	if (load(files, o)) {
		target_command_stop();
		tap_report_summary(0, 0, 0, 1);
		return 1;
	}
	ch.out = open_channel(files->name, "out");
	ch.err = open_channel(files->name, "err");
	if (ch.out < 0 || ch.err < 0 || ctl_command(files->name, "start")) {
		tap_report_fatal("module %s: no control files in /proc/%s: %s",
				 files->name, files->name, strerror(errno));
		target_command_stop();
		unload(files->name);
		tap_report_summary(0, 0, 0, 1);
		return 1;
	}
	reason = run(files->name, o, sfd, &ch);
	tap_report_event("stopping", reason);
	ctl_command(files->name, "stop");
	/* the end probes run in the module now; relay until it is done */
	while (!drain(&ch)) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		char buf[128];

		if (poll(&p, 1, POLL_MS) > 0) {
			while (read(sfd, buf, sizeof(buf)) > 0)
				;
			/* stap: a second signal is ignored, a third ends it */
			if (++signals >= 2)
				break;
		}
	}
	read_status(files->name, &s);
	close(ch.out);
	close(ch.err);
	if (unload(files->name))
		tap_report_warning("cannot unload kernel module %s: %s",
				   files->name, strerror(errno));
	fflush(NULL);
	target_command_stop();
	tap_wait_commands(sfd, !strcmp(reason, "signal") || !strcmp(reason, "timeout"));
	status = s.errors || ch.fatal || s.failed || !strcmp(reason, "error");
	if (s.lost)
		tap_report_warning("Lost %lld bytes of output (channel full; try -s)",
				   s.lost);
	if (s.errors || s.skipped)
		tap_report_warning("Number of errors: %lld, skipped probes: %lld",
				   s.errors, s.skipped);
	tap_report_summary(s.errors, s.skipped, s.lost, status);
	return status;
}
