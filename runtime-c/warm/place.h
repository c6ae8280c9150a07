/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where this environment's warm runner listens: the same directory, name
 * and fingerprint as cli/warm/place.ts and bin/tapfleet make them.
 */
#ifndef TAPFLEET_WARM_PLACE_H
#define TAPFLEET_WARM_PLACE_H

#include <limits.h>
#include <sys/un.h>

/* Bumped with cli/warm/protocol.ts WARM_PROTOCOL. */
#define WARM_PROTOCOL 3

struct runner_place {
	char dir[PATH_MAX];
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char log_path[PATH_MAX];
	char fingerprint[33];
};

/*
 * Fills *p for the launcher at `launcher` (bin/tapfleet) in this process's
 * environment; -1 when runs do not use a runner from here (turned off, an
 * unusual setting or path: Node's side handles those).
 */
int runner_place(const char *launcher, struct runner_place *p);

/* The variables a shell changes from one command to the next (cli/warm/place.ts VOLATILE_ENV). */
extern const char *const volatile_env[];

#endif /* TAPFLEET_WARM_PLACE_H */
