// SPDX-License-Identifier: GPL-2.0-or-later
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

static const char usage[] =
	"usage: taprun [-T SECONDS] [-o FILE] [-s MIB] [-c CMD | -x PID] [-D NAME=VALUE]... [-j] [-v] [-w]\n"
	"              MODULE_DIR [ARGS...]\n"
	"Loads a bpf probe module, runs it until exit(), -T, or a signal, and\n"
	"prints its output. See docs/taprun.md.\n";

static int bad(const char *fmt, const char *arg)
{
	fputs("ERROR: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'taprun -h' for the usage.\n", stderr);
	return -1;
}

static int parse_uint(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* -D NAME=VALUE: only the limits that are chosen at load time. */
static int parse_define(const char *arg, struct options *o)
{
	static const char *const build_time[] = {
		"MAXSTRINGLEN", "MAP_STRING_LENGTH", "MAXACTION", "MAXACTION_INTERRUPTIBLE", "MAXBACKTRACE",
		"MAXNESTING", "MAXTRYLOCK", "HIST_WIDTH", "HIST_ELISION", NULL,
	};
	const char *eq = strchr(arg, '=');
	char name[64];
	unsigned int v, *dst = NULL;
	int i;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return bad("-D expects NAME=VALUE, not '%s'", arg);
	memcpy(name, arg, eq - arg);
	name[eq - arg] = '\0';
	for (i = 0; build_time[i]; i++)
		if (!strcmp(name, build_time[i]))
			return bad("%s is fixed when the module is built (tapfleet compile -D NAME=VALUE)",
				   name);
	if (!strcmp(name, "MAXMAPENTRIES"))
		dst = &o->load.maxmapentries;
	else if (!strcmp(name, "MAXERRORS"))
		dst = &o->load.maxerrors;
	else if (!strcmp(name, "MAXSKIPPED"))
		dst = &o->load.maxskipped;
	else
		return bad("unknown limit '%s' (taprun -D knows MAXMAPENTRIES, MAXERRORS, MAXSKIPPED)",
			   name);
	if (parse_uint(eq + 1, INT_MAX, &v) || (dst == &o->load.maxmapentries && !v))
		return bad("bad value in -D '%s'", arg);
	*dst = v;
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	unsigned int mib, pid;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	/* unless -D says otherwise, the values the module was built with */
	o->load.maxmapentries = LIMIT_UNSET;
	o->load.maxerrors = LIMIT_UNSET;
	o->load.maxskipped = LIMIT_UNSET;
	/* '+': stop at MODULE_DIR; what follows are the script's arguments */
	while ((c = getopt(argc, argv, "+T:o:s:c:x:D:jvwh")) != -1) {
		switch (c) {
		case 'x':
			if (parse_uint(optarg, INT_MAX, &pid) || !pid)
				return bad("-x expects a process id, not '%s'", optarg);
			o->load.target_pid = (int)pid;
			break;
		case 'c':
			o->command = optarg;
			break;
		case 'T':
			o->timeout_s = strtod(optarg, &end);
			if (*end || !(o->timeout_s > 0) || o->timeout_s > 1e9)
				return bad("-T expects a positive number of seconds, not '%s'",
					   optarg);
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 's':
			if (parse_uint(optarg, 1024, &mib) || !mib || (mib & (mib - 1)))
				return bad("-s expects a power of two from 1 to 1024 (MiB), not '%s'",
					   optarg);
			o->load.ringbuf_mib = mib;
			break;
		case 'D':
			if (parse_define(optarg, o))
				return -1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'v':
			o->load.verbose = 1;
			break;
		case 'w':
			o->quiet_warnings = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (o->command && o->load.target_pid)
		return bad("%s", "-c and -x both name the target process: give one of them");
	if (optind >= argc)
		return bad("%s", "no module directory given");
	o->module_dir = argv[optind];
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	return 0;
}
