/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TAPRUN_VERIFIER_LOG_H
#define TAPRUN_VERIFIER_LOG_H

#include <stddef.h>

/*
 * Without -v, libbpf's messages are not shown; but when the kernel refuses a
 * program, the user needs to know which probe and why. verifier_log_note()
 * takes each libbpf message and keeps, from a program's load log, the
 * program's name and the verifier's last words (its reason, not the
 * instruction listing before it), or the name of a map the kernel would
 * not create.
 */
void verifier_log_note(const char *message);

/* The refused program's name and the reason, or 0 where no load log came. */
int verifier_log_reason(const char **prog, const char **reason);

/* The map the kernel would not create, or NULL. */
const char *verifier_log_failed_map(void);

#endif /* TAPRUN_VERIFIER_LOG_H */
