/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user-space files a module's uprobes are in, as the manifest records
 * them ("userFiles": path, kind, id, probe), checked against this host's
 * files before anything loads: a uprobe is an offset into one build of a
 * file, and at that offset in another build it may sit mid-instruction.
 */
#ifndef TAPRUN_USER_FILES_H
#define TAPRUN_USER_FILES_H

#include <stddef.h>
#include "json.h"

/*
 * list: the manifest's "userFiles" member (NULL when absent: nothing to
 * check). Returns 0 when every file is the one the module was compiled
 * against; else -1 with stap's kind of message in err ("Build-id mismatch:
 * ...", "probe ...: cannot find PATH (-ENOENT)").
 */
int user_files_check(const struct json *list, char *err, size_t errsize);

#endif /* TAPRUN_USER_FILES_H */
