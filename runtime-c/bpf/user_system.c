// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * system(cmd). Each command is taprun's child, in a process group of its
 * own, so that stopping the session (a signal to taprun: Ctrl-C, an
 * unload) can stop the command and whatever it started, and a terminal's
 * Ctrl-C reaches taprun first. A command's pid stays taprun's until
 * taprun reaps it, so a signal to its group never reaches a stranger.
 * Each is reaped by its own pid (taprun -c also has a child: the target). The
 * child gets none of taprun's descriptors but stdout and stderr (BPF maps
 * and programs are file descriptors), default signal dispositions and an
 * empty mask, and /dev/null for stdin; between fork and exec it calls
 * only async-signal-safe functions, since taprun has threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "user_rt.h"
#include "user_system.h"

extern char **environ;

static pid_t commands[TAP_MAX_COMMANDS];
static int ncommands;

void tap_child_defaults(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	setpgid(0, 0);
	sigemptyset(&none);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* fails harmlessly for SIGKILL, SIGSTOP */
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void tap_child_exec_shell(const char *script)
{
	char *const argv[] = { "sh", "-c", (char *)script, NULL };
	int fd = open("/dev/null", O_RDONLY);

	if (fd > 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execve("/bin/sh", argv, environ);
	_exit(127);
}

/* Forgets the commands that have ended (their zombies reaped). */
static void reap(void)
{
	int i = 0, status;

	while (i < ncommands) {
		pid_t r = waitpid(commands[i], &status, WNOHANG);

		if (r == commands[i] || (r < 0 && errno == ECHILD))
			commands[i] = commands[--ncommands];
		else
			i++;
	}
}

void tap_run_command(const char *cmd)
{
	pid_t pid;

	reap();
	if (ncommands == TAP_MAX_COMMANDS) {
		tap_report_warning("system(): %d commands are still running; not starting another",
				   TAP_MAX_COMMANDS);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tap_report_warning("system(): cannot start a process: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		tap_child_defaults();
		tap_child_exec_shell(cmd);
	}
	setpgid(pid, pid);	/* as the child does: whichever runs first */
	commands[ncommands++] = pid;
}

static void signal_commands(int sig)
{
	int i;

	for (i = 0; i < ncommands; i++)
		kill(-commands[i], sig);
}

void tap_wait_commands(int sfd, int stopped)
{
	int stops = 0;

	reap();
	if (stopped && ncommands)
		signal_commands(++stops > 1 ? SIGKILL : SIGTERM);
	while (ncommands) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;

		if (sfd >= 0 && poll(&p, 1, 50) > 0) {
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGHUP)
					signal_commands(++stops > 1 ? SIGKILL : SIGTERM);
		} else if (sfd < 0) {
			usleep(50 * 1000);
		}
		reap();
	}
}
