// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Everything taprun says on stderr. Text follows stap: "ERROR: msg near
 * LOCATION", "WARNING: ...". With -j each line is a JSON object instead,
 * for the agent. Output is flushed first so that a terminal showing both
 * streams shows them in order.
 */
#include <stdarg.h>
#include <stdio.h>
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

static void vreport(const char *type, const char *prefix, const char *fmt,
		    va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
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

void tap_report_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning", "WARNING: ", fmt, ap);
	va_end(ap);
}

void tap_report_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", "ERROR: ", fmt, ap);
	va_end(ap);
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
