// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The directories and FIFOs of procfs probes, made safely: taprun runs as
 * root and /var/tmp is everyone's, so every directory on the way is opened
 * without following links and must be ours and writable by nobody else,
 * and everything below it is made relative to those descriptors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procfs_dirs.h"

/* Opens (making it if absent) directory `name` under `at`; -1 with errno. */
static int own_dir(int at, const char *name, char *why, size_t whysize)
{
	struct stat st;
	int fd;

	if (mkdirat(at, name, 0755) && errno != EEXIST) {
		snprintf(why, whysize, "cannot make %s: %s", name, strerror(errno));
		return -1;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whysize, "cannot open %s: %s", name,
			 errno == ELOOP || errno == ENOTDIR ?
			 "not a directory (a link?)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whysize,
			 "%s is not a directory of this user's that only it can write",
			 name);
		close(fd);
		return -1;
	}
	return fd;
}

int procfs_module_dir(const char *module, char *path, size_t pathsize,
		      char *why, size_t whysize)
{
	struct passwd *pw = getpwuid(geteuid());
	char user[64], name[96];
	int var, base, dir;

	if (pw)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned int)geteuid());
	snprintf(name, sizeof(name), "systemtap-%s", user);
	snprintf(path, pathsize, "/var/tmp/%s/%s", name, module);
	var = open("/var/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (var < 0) {
		snprintf(why, whysize, "cannot open /var/tmp: %s", strerror(errno));
		return -1;
	}
	base = own_dir(var, name, why, whysize);
	close(var);
	if (base < 0)
		return -1;
	dir = own_dir(base, module, why, whysize);
	close(base);
	return dir;
}

int procfs_fifo(int dir, const char *path, unsigned int mode, int *parent,
		const char **name, char *why, size_t whysize)
{
	char part[256];
	const char *slash;
	struct stat st;
	int at = dup(dir);

	*name = path;
	/* subdirectories: "a/b/file" */
	while (at >= 0 && (slash = strchr(*name, '/'))) {
		int next;

		snprintf(part, sizeof(part), "%.*s", (int)(slash - *name), *name);
		next = own_dir(at, part, why, whysize);
		close(at);
		at = next;
		*name = slash + 1;
	}
	if (at < 0)
		return -1;
	/* a FIFO left by a run that was killed is replaced; anything else is not ours */
	if (!fstatat(at, *name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (!S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
			snprintf(why, whysize, "%s exists and is not a FIFO of this user's", path);
			close(at);
			return -1;
		}
		unlinkat(at, *name, 0);
	}
	if (mkfifoat(at, *name, mode) || fchmodat(at, *name, mode, 0)) {
		snprintf(why, whysize, "cannot make FIFO %s: %s", path, strerror(errno));
		close(at);
		return -1;
	}
	*parent = at;
	return 0;
}

void procfs_remove(int dir, const char *path, int parent, const char *name)
{
	char sub[256];
	char *slash;

	unlinkat(parent, name, 0);
	/* the subdirectories, deepest first, where nothing else is left in them */
	snprintf(sub, sizeof(sub), "%s", path);
	while ((slash = strrchr(sub, '/'))) {
		*slash = '\0';
		if (unlinkat(dir, sub, AT_REMOVEDIR))
			break;
	}
}
