/* SPDX-License-Identifier: GPL-2.0-or-later */
/* system(cmd): commands run by the loader, for both runtimes. */
#ifndef TAP_USER_SYSTEM_H
#define TAP_USER_SYSTEM_H

/* At most this many commands run at once; system() beyond it warns. */
#define TAP_MAX_COMMANDS 64

/*
 * Starts cmd under /bin/sh -c in the background, as stap's system() does:
 * its output goes where taprun's goes (after what taprun printed before),
 * stdin is /dev/null.
 */
void tap_run_command(const char *cmd);

/*
 * At the session's end: waits for the commands still running, whose
 * output belongs to the session. A session a signal or the time limit
 * stopped (stopped nonzero) stops them at once, as does SIGINT, SIGTERM or SIGHUP on the
 * signalfd sfd meanwhile: SIGTERM to each command's process group, and
 * SIGKILL at the next signal.
 */
void tap_wait_commands(int sfd, int stopped);

/*
 * A child of taprun's (system()'s commands, -c's target), between fork and
 * exec, async-signal-safe: a process group of its own, default signal
 * dispositions and an empty mask ...
 */
void tap_child_defaults(void);
/* ... then /bin/sh -c script, stdin /dev/null, no descriptor but 0-2. */
void tap_child_exec_shell(const char *script) __attribute__((noreturn));

#endif /* TAP_USER_SYSTEM_H */
