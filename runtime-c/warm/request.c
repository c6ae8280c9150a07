// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "request.h"

static void add(struct text *t, const char *s, size_t len)
{
	if (t->failed)
		return;
	if (t->len + len + 1 > t->size) {
		size_t size = (t->size ? t->size : 256);
		char *p;

		while (size < t->len + len + 1)
			size *= 2;
		p = realloc(t->s, size);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->s = p;
		t->size = size;
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void adds(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

/* Length of the UTF-8 sequence at s (as JSON may carry it), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond Unicode: not what Node would pass on unchanged */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* s as a JSON string; fails the text for bytes that are not UTF-8. */
static void add_string(struct text *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	adds(t, "\"");
	while (*p) {
		size_t n = utf8_len(p);
		char esc[8];

		if (!n) {
			t->failed = 1;
			return;
		}
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = *p;
			add(t, esc, 2);
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			adds(t, esc);
		} else {
			add(t, (const char *)p, n);
		}
		p += n;
	}
	adds(t, "\"");
}

static void add_terminal(struct text *t, int fd)
{
	struct winsize ws;
	char num[64];

	if (!isatty(fd)) {
		adds(t, "{\"isTTY\":false}");
		return;
	}
	adds(t, "{\"isTTY\":true");
	if (!ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		snprintf(num, sizeof(num), ",\"columns\":%u,\"rows\":%u", ws.ws_col, ws.ws_row);
		adds(t, num);
	}
	adds(t, "}");
}

int make_request(struct text *t, const char *launcher, int argc, char **argv, const struct runner_place *p)
{
	char num[32], cwd[4096];
	struct timespec now;
	mode_t mask;
	int i, first = 1;

	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(num, sizeof(num), "%d", (int)getpid());
	adds(t, "{\"clientPid\":");
	adds(t, num);
	/* when it was sent: a runner stopped meanwhile must not run what we gave up on */
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(num, sizeof(num), ",\"sentAtMs\":%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	adds(t, num);
	adds(t, ",\"argv\":[\"node\",");
	add_string(t, launcher);
	for (i = 0; i < argc; i++) {
		adds(t, ",");
		add_string(t, argv[i]);
	}
	adds(t, "],\"cwd\":");
	add_string(t, cwd);
	/* the umask, read by setting it (and back) */
	mask = umask(022);
	umask(mask);
	snprintf(num, sizeof(num), ",\"umask\":%u", (unsigned)mask);
	adds(t, num);
	adds(t, ",\"fingerprint\":");
	add_string(t, p->fingerprint);
	adds(t, ",\"volatileEnv\":{");
	for (i = 0; volatile_env[i]; i++) {
		const char *v = getenv(volatile_env[i]);

		if (!v)
			continue;
		if (!first)
			adds(t, ",");
		first = 0;
		add_string(t, volatile_env[i]);
		adds(t, ":");
		add_string(t, v);
	}
	adds(t, "},\"stdout\":");
	add_terminal(t, 1);
	adds(t, ",\"stderr\":");
	add_terminal(t, 2);
	/* this client starts -c commands (main.c spawn_command) */
	adds(t, ",\"spawns\":true}");
	return t->failed ? -1 : 0;
}
