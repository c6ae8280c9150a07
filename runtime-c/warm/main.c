// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tapfleet-run: `tapfleet run` through this environment's warm runner
 * (cli/warm/runner.ts, docs/warm.md), started by bin/tapfleet as
 *
 *	tapfleet-run LAUNCHER run [ARGS...]
 *
 * It finds the runner's socket as Node's side names it, sends the command
 * line, passes the run's output to its own stdout and stderr and its
 * signals to the run, and exits as the run did. When there is no runner
 * (or it is busy, or the run is one a runner does not take) it becomes
 * Node running LAUNCHER with the same words: the CLI then runs the command
 * itself, and starts a runner for the next run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "frames.h"
#include "place.h"
#include "request.h"

/* A runner that takes longer than this to take or refuse the run is wedged (client.ts ACCEPT_TIMEOUT_MS). */
#define ACCEPT_TIMEOUT_MS 5000

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static const char *const forwarded_names[] = { "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT" };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static int signal_pipe[2] = { -1, -1 };

/* The -c command this client started for the run (0: none), and its gate's writing end. */
static pid_t command_pid;
static int command_gate = -1;

/* Node with the launcher and the same words, as bin/tapfleet's own line would start it. */
static void __attribute__((noreturn)) fall_back(const char *launcher, int argc, char **argv)
{
	char **args = calloc(argc + 3, sizeof(*args));
	const char *ca = getenv("NODE_EXTRA_CA_CERTS");
	size_t i;

	for (i = 0; i < NFORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (!args) {
		perror("tapfleet");
		exit(70);
	}
	/* Node would parse the CA bundle at start-up; bin/tapfleet hands it over in another variable */
	setenv("TAPFLEET_NODE_EXTRA_CA_CERTS", ca ? ca : "", 1);
	unsetenv("NODE_EXTRA_CA_CERTS");
	args[0] = "node";
	args[1] = (char *)launcher;
	memcpy(args + 2, argv, argc * sizeof(*args));
	execvp("node", args);
	fprintf(stderr, "tapfleet: cannot start node: %s\n", strerror(errno));
	exit(127);
}

/*
 * `run`, not reading the script from stdin (`-`: the runner's stdin is not
 * ours). -c is taken: this client starts the command (cli/warm/runs-warm.ts).
 */
static int runs_warm(int argc, char **argv)
{
	int i;

	if (argc < 1 || strcmp(argv[0], "run"))
		return 0;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-"))
			return 0;
	return 1;
}

/* This user's socket in a directory only this user can enter (controller/util/private-dir.ts ownSocket). */
static int own_socket(const struct runner_place *p, ino_t *ino)
{
	struct stat d, s;

	if (lstat(p->dir, &d) || !S_ISDIR(d.st_mode) || d.st_uid != getuid() || (d.st_mode & 077))
		return 0;
	if (lstat(p->socket_path, &s) || !S_ISSOCK(s.st_mode) || s.st_uid != getuid())
		return 0;
	*ino = s.st_ino;
	return 1;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = sig;

	if (write(signal_pipe[1], &b, 1) < 0) {
		/* a full pipe already holds signals to pass on */
	}
	errno = saved;
}

/* The command ended: the runner stops the run, as the CLI does when its own -c child exits. */
static void reap_command(int sock)
{
	char body[64];
	int status;

	if (!command_pid || waitpid(command_pid, &status, WNOHANG) != command_pid)
		return;
	command_pid = 0;
	if (WIFSIGNALED(status) && sigabbrev_np(WTERMSIG(status)))
		snprintf(body, sizeof(body), "{\"signal\":\"SIG%s\"}", sigabbrev_np(WTERMSIG(status)));
	else
		snprintf(body, sizeof(body), "{\"code\":%d}", WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	frame_send(sock, FRAME_EXITED, body, strlen(body));
}

/* Passes on the signals that came since the last call. */
static void forward_signals(int sock)
{
	unsigned char b;
	size_t i;

	while (read(signal_pipe[0], &b, 1) == 1) {
		if (b == SIGCHLD)
			reap_command(sock);
		for (i = 0; i < NFORWARDED; i++)
			if (forwarded[i] == b)
				frame_send(sock, FRAME_SIGNAL, forwarded_names[i], strlen(forwarded_names[i]));
	}
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	/* no SA_RESTART: a write to a stalled terminal returns, and the signal goes on at once */
	sigemptyset(&sa.sa_mask);
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK))
		return;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/*
 * -c CMD: the runner has no terminal to give it, so it asks this client to
 * start it (cli/warm/remote-command.ts) with our stdin, stdout and stderr
 * and its gate's pipe as fd 3 (cli/commands/gated-command.ts): argv is the
 * payload, a NUL after each word.
 */
static void spawn_command(int sock, const unsigned char *payload, size_t len)
{
	char *words[256], body[128];
	char *copy = malloc(len + 1);
	int gate[2], n = 0;
	size_t at = 0;

	errno = 0;
	if (command_pid || !copy || !len || payload[len - 1] != '\0')
		goto refuse;
	memcpy(copy, payload, len);
	while (at < len && n < (int)(sizeof(words) / sizeof(words[0])) - 1) {
		words[n++] = copy + at;
		at += strlen(copy + at) + 1;
	}
	words[n] = NULL;
	if (at < len || pipe2(gate, O_CLOEXEC))
		goto refuse;
	command_pid = fork();
	if (command_pid == 0) {
		size_t i;

		for (i = 0; i < NFORWARDED; i++)
			signal(forwarded[i], SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		/* dup2 onto itself keeps close-on-exec: the gate would close at exec */
		if (gate[0] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(gate[0], 3) < 0)
			_exit(127);
		execv(words[0], words);
		_exit(127);
	}
	close(gate[0]);
	if (command_pid < 0) {
		command_pid = 0;
		close(gate[1]);
		goto refuse;
	}
	command_gate = gate[1];
	free(copy);
	snprintf(body, sizeof(body), "{\"pid\":%d}", (int)command_pid);
	frame_send(sock, FRAME_SPAWNED, body, strlen(body));
	return;
refuse:
	free(copy);
	snprintf(body, sizeof(body), "{\"error\":\"cannot start the command: %s\"}", strerror(errno ? errno : EINVAL));
	frame_send(sock, FRAME_SPAWNED, body, strlen(body));
}

/* Every probe is attached: the command runs. */
static void release_command(void)
{
	size_t done;

	if (command_gate < 0)
		return;
	if (write_all(command_gate, "go\n", 3, &done)) {
		/* the command is gone already: its exit is reported */
	}
	close(command_gate);
	command_gate = -1;
}

static int stdout_gone;

/* The run's output to our stdout or stderr; a stdout nobody reads any more is told to the runner once. */
static void pass_on(int sock, int fd, const unsigned char *p, size_t len)
{
	size_t done;

	if (fd == 1 && stdout_gone)
		return;
	while (write_all(fd, p, len, &done)) {
		if (errno == EINTR) {
			forward_signals(sock);
			p += done;
			len -= done;
			continue;
		}
		if (fd == 1 && errno == EPIPE) {
			stdout_gone = 1;
			frame_send(sock, FRAME_STDOUT_GONE, "", 0);
		}
		return;
	}
}

/* How the run ended, as the runner says it: an exit status, or a signal to die of. */
static void __attribute__((noreturn)) finish(const struct frame *f)
{
	char body[256];
	const char *k;
	size_t i, n = f->len < sizeof(body) - 1 ? f->len : sizeof(body) - 1;

	memcpy(body, f->payload, n);
	body[n] = '\0';
	k = strstr(body, "\"code\":");
	if (k) {
		long code = strtol(k + 7, NULL, 10);

		exit(code >= 0 && code <= 255 ? (int)code : 70);
	}
	for (i = 0; i < NFORWARDED; i++) {
		char want[32];

		snprintf(want, sizeof(want), "\"signal\":\"%s\"", forwarded_names[i]);
		if (strstr(body, want)) {
			/* the CLI would have died of it: so does this process, for the shell to see */
			signal(forwarded[i], SIG_DFL);
			raise(forwarded[i]);
			exit(128 + forwarded[i]);
		}
	}
	exit(70);
}

/* Output and signals until the runner says how the run ended. */
static void __attribute__((noreturn)) relay(int sock, struct frame_reader *r, const struct runner_place *p)
{
	struct pollfd fds[2] = { { .fd = sock, .events = POLLIN }, { .fd = signal_pipe[0], .events = POLLIN } };
	struct frame f;
	int got;

	for (;;) {
		while ((got = frame_next(r, &f)) == 1) {
			if (f.type == FRAME_STDOUT)
				pass_on(sock, 1, f.payload, f.len);
			else if (f.type == FRAME_STDERR)
				pass_on(sock, 2, f.payload, f.len);
			else if (f.type == FRAME_SPAWN)
				spawn_command(sock, f.payload, f.len);
			else if (f.type == FRAME_RELEASE)
				release_command();
			else if (f.type == FRAME_EXIT)
				finish(&f);
		}
		if (got < 0) {
			fprintf(stderr, "tapfleet run: the warm runner sent what cannot be read; its log: %s\n", p->log_path);
			exit(70);
		}
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			forward_signals(sock);
		if (fds[0].revents && frame_fill(r, sock) <= 0)
			break;
	}
	fprintf(stderr, "tapfleet run: the warm runner ended without finishing the run; its log: %s\n", p->log_path);
	exit(70);
}

enum answer { TAKEN, NOT_TAKEN, WEDGED };

/* The runner's first word: it takes the run, or not; or it says nothing in time. */
static enum answer await_answer(int sock, struct frame_reader *r)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct frame f;
	int got;

	for (;;) {
		got = frame_next(r, &f);
		if (got < 0)
			return NOT_TAKEN;
		if (got == 1)
			return f.type == FRAME_ACCEPTED ? TAKEN : NOT_TAKEN;
		got = poll(&pfd, 1, ACCEPT_TIMEOUT_MS);
		if (got == 0)
			return WEDGED;
		if (got < 0 && errno != EINTR)
			return NOT_TAKEN;
		if (got > 0 && frame_fill(r, sock) <= 0)
			return NOT_TAKEN;
	}
}

int main(int argc, char **argv)
{
	struct runner_place place;
	struct frame_reader reader = { 0 };
	struct text request = { 0 };
	const char *launcher;
	ino_t ino;
	int sock;

	if (argc < 2) {
		fprintf(stderr, "usage: tapfleet-run LAUNCHER run [ARGS...] (bin/tapfleet starts it)\n");
		return 64;
	}
	launcher = argv[1];
	argc -= 2;
	argv += 2;
	if (!runs_warm(argc, argv) || runner_place(launcher, &place) || !own_socket(&place, &ino))
		fall_back(launcher, argc, argv);
	if (make_request(&request, launcher, argc, argv, &place))
		fall_back(launcher, argc, argv);
	sock = connect_to(place.socket_path);
	if (sock < 0)
		fall_back(launcher, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	/* signals before the runner answers wait in the pipe, and go to the run once it is taken */
	catch_signals();
	if (frame_send(sock, FRAME_REQUEST, request.s, request.len))
		fall_back(launcher, argc, argv);
	switch (await_answer(sock, &reader)) {
	case TAKEN:
		relay(sock, &reader, &place);
	case WEDGED: {
		struct stat st;

		/* removed, so that only this run waits for it; the run started next makes a new one */
		if (!lstat(place.socket_path, &st) && st.st_ino == ino)
			unlink(place.socket_path);
		close(sock);
		fall_back(launcher, argc, argv);
	}
	case NOT_TAKEN:
	default:
		close(sock);
		fall_back(launcher, argc, argv);
	}
}
