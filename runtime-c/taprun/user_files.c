// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checking the manifest's "userFiles" against this host (user_files.h).
 * The manifest's signature was checked by the agent before taprun started,
 * so the list is the controller's; its form is still checked here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "file_id.h"
#include "user_files.h"

static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "error";
}

static int check_one(const struct json *f, char *err, size_t errsize)
{
	const char *path = json_get_str(f, "path");
	const char *kind = json_get_str(f, "kind");
	const char *want = json_get_str(f, "id");
	const char *probe = json_get_str(f, "probe");
	char why[300];
	struct file_id have;
	int ret;

	if (!path || path[0] != '/' || !kind || !want || !probe ||
	    (strcmp(kind, "build-id") && strcmp(kind, "sha256"))) {
		snprintf(err, errsize, "manifest.json: bad userFiles entry");
		return -1;
	}
	ret = file_id_read(path, &have, why, sizeof(why));
	if (ret == -ENOEXEC) {
		snprintf(err, errsize, "probe %s: %s is not an ELF file", probe,
			 path);
		return -1;
	}
	if (ret) {
		/* the kmod runtime's words for a missing file (kmod_probes.c) */
		snprintf(err, errsize, "probe %s: cannot find %s (-%s)", probe,
			 path, errno_name(-ret));
		return -1;
	}
	if (!strcmp(kind, file_id_kind_name(have.kind)) && !strcmp(want, have.hex))
		return 0;
	snprintf(err, errsize,
		 "Build-id mismatch: \"%s\" (%s%s vs %s%s): this host's file (first) is not the one the module was compiled against (second), so probe %s would attach at the wrong place; compile the script against this host's copy of the file",
		 path, have.kind == FILE_ID_BUILD_ID ? "0x" : "sha256:",
		 have.hex, strcmp(kind, "build-id") ? "sha256:" : "0x", want,
		 probe);
	return -1;
}

int user_files_check(const struct json *list, char *err, size_t errsize)
{
	const struct json *f;

	if (!list)
		return 0;
	if (list->type != JSON_ARRAY) {
		snprintf(err, errsize, "manifest.json: userFiles is not a list");
		return -1;
	}
	for (f = list->child; f; f = f->next)
		if (check_one(f, err, errsize))
			return -1;
	return 0;
}
