/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -c CMD: the target process, as staprun starts it. It exists before the
 * module loads (its pid is target() from the first begin probe on) but
 * runs only once every probe is attached; its end ends the session; the
 * session's end stops it.
 */
#ifndef TAPRUN_TARGET_COMMAND_H
#define TAPRUN_TARGET_COMMAND_H

/* Longest -c command (bytes); the agent allows the same. */
#define TARGET_COMMAND_MAX 4096
/* How long a target still running at the session's end has after SIGTERM. */
#define TARGET_STOP_GRACE_MS 2000

/*
 * Creates the process: /bin/sh -c CMD (or `exec CMD` for plain words, so
 * that target() is the program itself), in a process group of its own,
 * stdin /dev/null, waiting for target_command_release(). Returns its pid,
 * or -1 after reporting why.
 */
int target_command_start(const char *cmd);
/* Lets it run (after the probes are attached). */
void target_command_release(void);
/* A descriptor that becomes readable when it ends (pidfd), or -1. */
int target_command_fd(void);
/* 1 once it has ended (reaped here), else 0; 0 without -c. */
int target_command_ended(void);
/*
 * At the session's end: a target still running (or never released) gets
 * SIGTERM to its process group, then SIGKILL after TARGET_STOP_GRACE_MS,
 * and is reaped.
 */
void target_command_stop(void);

#endif /* TAPRUN_TARGET_COMMAND_H */
