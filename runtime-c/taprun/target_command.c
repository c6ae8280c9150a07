// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -c CMD (target_command.h). The child blocks on a pipe until released:
 * if taprun fails to load or dies first, the pipe closes and the command
 * never runs. The child is prepared as system()'s commands are (own
 * process group, default signals, stdin /dev/null, no descriptor of
 * taprun's but stdout and stderr), and between fork and exec calls only
 * async-signal-safe functions, since taprun has threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "target_command.h"
#include "user_rt.h"
#include "user_system.h"

static pid_t target = -1;
static int gate = -1;		/* write end; closed once released */
static int pidfd = -1;
static int ended;

/* Words a shell would take as they are: then `exec` keeps target() the program's pid (stap's wordexp path). */
static int plain_words(const char *cmd)
{
	const char *p = cmd;
	int first = 1, any = 0;

	for (; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			if (any)
				first = 0;
			continue;
		}
		any = 1;
		if (*p == '=' && first)
			return 0;
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("_@%+=:,./-", *p))
			return 0;
	}
	return any;
}

static void child(const char *script, int gate_r, pid_t parent)
{
	char go;

	tap_child_defaults();
	/*
	 * A taprun killed outright (a forced unload) cannot stop its target:
	 * the kernel does, the target at least (what it started stays theirs).
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* a stop before the release is SIGTERM to a process that has run nothing */
	if (read(gate_r, &go, 1) != 1)
		_exit(127);
	tap_child_exec_shell(script);
}

int target_command_start(const char *cmd)
{
	static char script[TARGET_COMMAND_MAX + sizeof("exec ")];
	pid_t parent;
	int p[2];

	if (!*cmd || strlen(cmd) > TARGET_COMMAND_MAX) {
		tap_report_fatal("-c: the command must have 1 to %d bytes", TARGET_COMMAND_MAX);
		return -1;
	}
	snprintf(script, sizeof(script), "%s%s", plain_words(cmd) ? "exec " : "", cmd);
	if (pipe2(p, O_CLOEXEC)) {
		tap_report_fatal("-c: cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	parent = getpid();
	target = fork();
	if (target < 0) {
		tap_report_fatal("-c: cannot start a process: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (target == 0)
		child(script, p[0], parent);
	setpgid(target, target);	/* as the child does: whichever runs first */
	close(p[0]);
	gate = p[1];
	pidfd = (int)syscall(SYS_pidfd_open, target, 0);
	return target;
}

void target_command_release(void)
{
	if (gate < 0)
		return;
	if (write(gate, "g", 1) != 1 && errno != EPIPE)
		tap_report_warning("-c: cannot start the command: %s", strerror(errno));
	close(gate);
	gate = -1;
}

int target_command_fd(void)
{
	return pidfd;
}

int target_command_ended(void)
{
	int status;

	if (target <= 0)
		return 0;
	if (!ended && waitpid(target, &status, WNOHANG) == target)
		ended = 1;
	return ended;
}

void target_command_stop(void)
{
	int waited = 0, status;

	if (target <= 0)
		return;
	if (gate >= 0) {
		close(gate);	/* never released: it exits without running */
		gate = -1;
	}
	/* the group too: what the command left running in the background */
	kill(-target, SIGTERM);
	while (!target_command_ended() && waited < TARGET_STOP_GRACE_MS) {
		poll(NULL, 0, 20);
		waited += 20;
	}
	if (!ended) {
		kill(-target, SIGKILL);
		if (waitpid(target, &status, 0) == target)
			ended = 1;
	}
	if (pidfd >= 0)
		close(pidfd);
	pidfd = -1;
}
