// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hash128.h"
#include "place.h"

extern char **environ;

const char *const volatile_env[] = { "PWD", "OLDPWD", "SHLVL", "_", NULL };

#define DEFAULT_WARM_SECONDS 300
#define MAX_WARM_SECONDS 86400

/* TAPFLEET_WARM_KEEP: 1 when runners are in use; 0 when off or not a plain number in range (Node says why). */
static int runners_on(void)
{
	const char *v = getenv("TAPFLEET_WARM_KEEP");
	const char *c;

	if (!v || !*v)
		return 1;
	for (c = v; *c; c++)
		if (!isdigit((unsigned char)*c))
			return 0;
	return strlen(v) <= 5 && atol(v) > 0 && atol(v) <= MAX_WARM_SECONDS;
}

static int state_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/') {
		n = snprintf(out, size, "%s/tapfleet", xdg);
	} else {
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			if (!pw)
				return -1;
			home = pw->pw_dir;
		}
		n = snprintf(out, size, "%s/.local/state/tapfleet", home);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* stat's mtime in nanoseconds as decimal, or "-" when the file is not there. */
static void mtime_ns(const char *path, char *out, size_t size)
{
	struct stat st;

	if (stat(path, &st))
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%llu", (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
}

/* The build bin/tapfleet would run: the bundle while it is newer than tsc's output, else dist/. */
static int code_identity(const char *launcher, struct hash128 *h)
{
	/* room for the longest name under the repository below */
	char real[PATH_MAX], root[PATH_MAX - 64], path[PATH_MAX];
	char emitted[32], bundled[32];
	const char *no_bundle = getenv("TAPFLEET_NO_BUNDLE");
	int use_bundle;

	if (!realpath(launcher, real))
		return -1;
	/* realpath gives bin/tapfleet's directory's parent as the repository */
	if ((size_t)snprintf(root, sizeof(root), "%s", dirname(dirname(real))) >= sizeof(root))
		return -1;
	snprintf(path, sizeof(path), "%s/dist/.tsbuildinfo", root);
	mtime_ns(path, emitted, sizeof(emitted));
	snprintf(path, sizeof(path), "%s/dist/bundle/tapfleet.js", root);
	if (no_bundle && *no_bundle)
		snprintf(bundled, sizeof(bundled), "-");
	else
		mtime_ns(path, bundled, sizeof(bundled));
	use_bundle = strcmp(bundled, "-") && strcmp(emitted, "-") &&
		     (strlen(bundled) > strlen(emitted) || (strlen(bundled) == strlen(emitted) && strcmp(bundled, emitted) >= 0));
	if (!use_bundle) {
		snprintf(path, sizeof(path), "%s/dist/cli/main.js", root);
		if (access(path, F_OK))
			return -1;
	}
	hash128_update(h, path, strlen(path));
	hash128_update(h, "", 1);
	hash128_update(h, emitted, strlen(emitted));
	hash128_update(h, "", 1);
	hash128_update(h, bundled, strlen(bundled));
	return 0;
}

static int is_volatile(const char *entry, size_t keylen)
{
	int i;

	for (i = 0; volatile_env[i]; i++)
		if (strlen(volatile_env[i]) == keylen && !memcmp(entry, volatile_env[i], keylen))
			return 1;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
	int c = memcmp(x, y, kx < ky ? kx : ky);

	return c ? c : (kx > ky) - (kx < ky);
}

/* uid NUL, then KEY=VALUE NUL for each variable but the volatile ones, in the byte order of their names. */
static int fingerprint(char out[33])
{
	struct hash128 h;
	const char **entries;
	size_t n = 0, i;
	char uid[24];

	for (i = 0; environ[i]; i++)
		n++;
	entries = calloc(n + 1, sizeof(*entries));
	if (!entries)
		return -1;
	for (n = 0, i = 0; environ[i]; i++) {
		const char *eq = strchr(environ[i], '=');

		if (eq && eq != environ[i] && !is_volatile(environ[i], eq - environ[i]))
			entries[n++] = environ[i];
	}
	qsort(entries, n, sizeof(*entries), by_key);
	hash128_init(&h);
	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	hash128_update(&h, uid, strlen(uid) + 1);
	for (i = 0; i < n; i++)
		hash128_update(&h, entries[i], strlen(entries[i]) + 1);
	hash128_hex(&h, out);
	free(entries);
	return 0;
}

int runner_place(const char *launcher, struct runner_place *p)
{
	struct hash128 h;
	char prefix[16], name[33];
	int n;

	if (!runners_on() || state_dir(p->dir, sizeof(p->dir) - 8) || fingerprint(p->fingerprint))
		return -1;
	strcat(p->dir, "/runners");
	hash128_init(&h);
	n = snprintf(prefix, sizeof(prefix), "%d", WARM_PROTOCOL);
	hash128_update(&h, prefix, n + 1);
	if (code_identity(launcher, &h))
		return -1;
	hash128_update(&h, "", 1);
	hash128_update(&h, p->fingerprint, 32);
	hash128_hex(&h, name);
	n = snprintf(p->socket_path, sizeof(p->socket_path), "%s/%s.sock", p->dir, name);
	if (n < 0 || (size_t)n >= sizeof(p->socket_path))
		return -1;
	snprintf(p->log_path, sizeof(p->log_path), "%s/%s.log", p->dir, name);
	return 0;
}
