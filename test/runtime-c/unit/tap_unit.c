// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drives runtime-c/common in isolation for test/runtime-c/common.test.ts:
 *
 *   tap_unit format FMT [n:NUMBER | s:STRING]...   printf to stdout
 *   tap_unit sprintf FMT [ARG]...                   sprintf into MAXSTRINGLEN
 *   tap_unit stat log|linear:START,STOP,INTERVAL|none [CPUS] < VALUES
 *       adds the values (one per line; spread round-robin over CPUS
 *       accumulators), aggregates, prints "count sum min max avg variance"
 *       and the histogram
 *   tap_unit string FUNCTION ARG...                string tapset functions:
 *       text_str S | text_strn S LEN QUOTED | string_quoted S |
 *       substr S START LEN | strpos S1 S2 | str_replace S FROM TO |
 *       strtol S BASE | isdigit S
 *       (an argument "hex:414243" stands for the bytes ABC)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap_format.h"
#include "tap_stat.h"
#include "tap_strings.h"
#include <linux/types.h>
#include "tap_ctime.h"

static char out_data[4096];

static void flush_stdout(struct tap_buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	b->len = 0;
}

static int parse_args(int argc, char **argv, struct tap_value *v)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "n:", 2)) {
			v[i].n = strtoll(argv[i] + 2, NULL, 0);
			v[i].s = NULL;
		} else if (!strncmp(argv[i], "s:", 2)) {
			v[i].s = argv[i] + 2;
			v[i].n = 0;
		} else {
			fprintf(stderr, "argument %s: expected n:NUMBER or s:STRING\n",
				argv[i]);
			exit(2);
		}
	}
	return argc;
}

static int cmd_format(int argc, char **argv, int to_string)
{
	struct tap_value v[64];
	struct tap_buf b;
	int n;

	if (argc < 1 || argc - 1 > 64)
		return 2;
	n = parse_args(argc - 1, argv + 1, v);
	if (to_string) {
		char s[MAXSTRINGLEN];

		tap_buf_init_string(&b, s, sizeof(s));
		tap_format(&b, MAXSTRINGLEN, argv[0], v, n);
		tap_buf_end_string(&b);
		fwrite(s, 1, b.len, stdout);
		return 0;
	}
	tap_buf_init(&b, out_data, sizeof(out_data));
	b.flush = flush_stdout;
	tap_format(&b, TAP_STREAM_FIELD_MAX, argv[0], v, n);
	flush_stdout(&b);
	return 0;
}

static int cmd_stat(int argc, char **argv)
{
	struct tap_stat_desc d = { 0 };
	struct tap_stat_data *cpu, *agg;
	struct tap_value v[6];
	struct tap_buf b;
	int ncpus = argc > 1 ? atoi(argv[1]) : 1, i = 0;
	size_t size;
	char line[64];

	if (argc < 1 || ncpus < 1)
		return 2;
	if (!strcmp(argv[0], "log")) {
		d.type = TAP_HIST_LOG;
		d.buckets = TAP_HIST_LOG_BUCKETS;
	} else if (sscanf(argv[0], "linear:%d,%d,%d", &d.start, &d.stop,
			  &d.interval) == 3) {
		char msg[300];

		d.type = TAP_HIST_LINEAR;
		d.buckets = tap_stat_linear_buckets(d.start, d.stop, d.interval,
						    msg, sizeof(msg));
		if (!d.buckets) {
			fputs(msg, stderr);
			return 1;
		}
	}
	size = tap_stat_size(&d);
	cpu = calloc(ncpus, size);
	agg = calloc(1, size);
	while (fgets(line, sizeof(line), stdin)) {
		struct tap_stat_data *sd = (void *)((char *)cpu + (i++ % ncpus) * size);

		tap_stat_add(&d, sd, strtoll(line, NULL, 0));
	}
	tap_stat_aggregate(&d, agg, cpu, ncpus, size);
	tap_buf_init(&b, out_data, sizeof(out_data));
	b.flush = flush_stdout;
	v[0].n = agg->count;
	v[1].n = agg->sum;
	v[2].n = agg->min;
	v[3].n = agg->max;
	v[4].n = agg->count ? tap_stat_avg(agg) : 0;
	v[5].n = agg->variance;
	tap_format(&b, TAP_STREAM_FIELD_MAX,
		   "count=%d sum=%d min=%d max=%d avg=%d variance=%d\n", v, 6);
	tap_stat_print_hist(&b, &d, agg);
	flush_stdout(&b);
	return 0;
}

/* "hex:HHHH..." arguments carry raw bytes that argv cannot (from Node). */
static void decode_hex_args(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *a = argv[i], *o = a;
		unsigned int byte;

		if (strncmp(a, "hex:", 4))
			continue;
		for (a += 4; a[0] && a[1] && sscanf(a, "%2x", &byte) == 1; a += 2)
			*o++ = (char)byte;
		*o = '\0';
	}
}

static int cmd_string(int argc, char **argv)
{
	char out[MAXSTRINGLEN];
	const char *f = argc > 0 ? argv[0] : "";

	decode_hex_args(argc, argv);
	out[0] = '\0';
	if (!strcmp(f, "text_str") && argc == 2)
		tap_text_str(out, argv[1], 0, 0);
	else if (!strcmp(f, "text_strn") && argc == 4)
		tap_text_str(out, argv[1], atoll(argv[2]), atoi(argv[3]));
	else if (!strcmp(f, "string_quoted") && argc == 2)
		tap_text_str(out, argv[1], 0, 1);
	else if (!strcmp(f, "substr") && argc == 4)
		tap_substr(out, argv[1], atoll(argv[2]), atoll(argv[3]));
	else if (!strcmp(f, "str_replace") && argc == 4)
		tap_str_replace(out, argv[1], argv[2], argv[3]);
	else if (!strcmp(f, "strpos") && argc == 3)
		snprintf(out, sizeof(out), "%lld", (long long)tap_strpos(argv[1], argv[2]));
	else if (!strcmp(f, "strtol") && argc == 3)
		snprintf(out, sizeof(out), "%lld", (long long)tap_strtol(argv[1], atoll(argv[2])));
	else if (!strcmp(f, "isdigit") && argc == 2)
		snprintf(out, sizeof(out), "%lld", (long long)tap_isdigit(argv[1]));
	else
		return 2;
	fputs(out, stdout);
	return 0;
}

/* ctime SECS...: one line per value, as the runtimes format it */
static int cmd_ctime(int argc, char **argv)
{
	char out[MAXSTRINGLEN];
	int i;

	for (i = 0; i < argc; i++) {
		tap_ctime(out, atoll(argv[i]));
		puts(out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "ctime"))
		return cmd_ctime(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "format"))
		return cmd_format(argc - 2, argv + 2, 0);
	if (argc >= 2 && !strcmp(argv[1], "sprintf"))
		return cmd_format(argc - 2, argv + 2, 1);
	if (argc >= 2 && !strcmp(argv[1], "stat"))
		return cmd_stat(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "string"))
		return cmd_string(argc - 2, argv + 2);
	fputs("usage: tap_unit format|sprintf|stat|string|ctime ...\n", stderr);
	return 2;
}
