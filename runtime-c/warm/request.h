/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run request (cli/warm/protocol.ts WarmRequest) as JSON. */
#ifndef TAPFLEET_WARM_REQUEST_H
#define TAPFLEET_WARM_REQUEST_H

#include <stddef.h>
#include "place.h"

struct text {
	char *s;
	size_t len, size;
	int failed;
};

/*
 * The request for argv (the user's words after the launcher) as JSON in *t;
 * -1 when it cannot be made (a word, the directory or a variable that is
 * not UTF-8: Node's side takes such a run).
 */
int make_request(struct text *t, const char *launcher, int argc, char **argv, const struct runner_place *p);

#endif /* TAPFLEET_WARM_REQUEST_H */
