// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Everything taprun says on stderr. Text follows stap: "ERROR: msg near
 * LOCATION", "WARNING: ...". With -j each line is a JSON object instead,
 * for the agent. Output is flushed first so that a terminal showing both
 * streams shows them in order.
 */
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap_errors.h"
#include "user_rt.h"

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *probe_point(__u32 probe)
{
	const struct tap_module *m = tap_rt.mod;

	return m && probe < (__u32)m->nprobes ? m->probes[probe].point : "";
}

void tap_report_error(__u32 probe, __u32 code, __u32 loc, __s64 arg,
		      const char *msg)
{
	const struct tap_module *m = tap_rt.mod;
	const char *where = NULL;
	char text[TAP_MAXSTRINGLEN_MAX + 64];
	struct tap_buf b;

	tap_buf_init_string(&b, text, sizeof(text));
	tap_error_text(&b, code, arg, msg);
	tap_buf_end_string(&b);
	if (m && loc != TAP_NO_LOC && loc < (__u32)m->nlocations)
		where = m->locations[loc];
	tap_rt_flush();
	if (tap_rt.json) {
		fputs("{\"type\":\"error\",\"message\":", stderr);
		json_string(stderr, text);
		if (where) {
			fputs(",\"location\":", stderr);
			json_string(stderr, where);
		}
		fputs(",\"probe\":", stderr);
		json_string(stderr, probe_point(probe));
		fputs("}\n", stderr);
	} else if (where) {
		fprintf(stderr, "ERROR: %s near %s\n", text, where);
	} else {
		fprintf(stderr, "ERROR: %s\n", text);
	}
	fflush(stderr);
}

static void report_text(const char *type, const char *prefix, const char *text)
{
	tap_rt_flush();
	if (tap_rt.json) {
		fprintf(stderr, "{\"type\":\"%s\",\"message\":", type);
		json_string(stderr, text);
		fputs("}\n", stderr);
	} else {
		fprintf(stderr, "%s%s\n", prefix, text);
	}
	fflush(stderr);
}

/*
 * stapio's duplicate elimination: a warning is printed the first time
 * only (a warn() in a busy probe is one line, not a flood). The texts are
 * kept, up to TAP_WARNINGS_KEPT of them; past that, new ones are printed
 * every time, and the first of those is followed by stapio's note.
 */
#define TAP_WARNINGS_KEPT 1024

static void *warnings_seen;
static unsigned int nwarnings_seen;

static int compare_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

enum warning_news { WARNING_NEW, WARNING_SEEN, WARNING_NOT_KEPT };

/* Whether text was printed before; a new one is remembered where there is room. */
static enum warning_news warning_news(const char *text)
{
	char *copy;

	if (tfind(text, &warnings_seen, compare_text))
		return WARNING_SEEN;
	if (nwarnings_seen >= TAP_WARNINGS_KEPT)
		return WARNING_NOT_KEPT;
	copy = strdup(text);
	if (!copy || !tsearch(copy, &warnings_seen, compare_text)) {
		free(copy);
		nwarnings_seen = TAP_WARNINGS_KEPT;	/* no memory: keep no more */
		return WARNING_NOT_KEPT;
	}
	nwarnings_seen++;
	return WARNING_NEW;
}

void tap_report_warning(const char *fmt, ...)
{
	static int said_full;
	enum warning_news news;
	char text[1024];
	va_list ap;

	if (tap_rt.quiet_warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	news = warning_news(text);
	if (news == WARNING_SEEN)
		return;
	report_text("warning", "WARNING: ", text);
	if (news == WARNING_NOT_KEPT && !said_full) {
		said_full = 1;
		report_text("warning", "", "WARNING deduplication table full");
	}
}

void tap_report_fatal(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report_text("error", "ERROR: ", text);
}

void tap_report_event(const char *type, const char *reason)
{
	if (!tap_rt.json)
		return;
	tap_rt_flush();
	fprintf(stderr, "{\"type\":\"%s\"", type);
	if (reason)
		fprintf(stderr, ",\"reason\":\"%s\"", reason);
	fputs("}\n", stderr);
	fflush(stderr);
}

void tap_report_summary(__u64 errors, __u64 skipped, __u64 lost, int status)
{
	if (!tap_rt.json)
		return;
	fprintf(stderr,
		"{\"type\":\"summary\",\"errors\":%llu,\"skipped\":%llu,\"lost\":%llu,\"status\":%d}\n",
		(unsigned long long)errors, (unsigned long long)skipped,
		(unsigned long long)lost, status);
	fflush(stderr);
}
