/* SPDX-License-Identifier: GPL-2.0-or-later */
/* taprun's command line (docs/taprun.md is the contract). */
#ifndef TAPRUN_OPTIONS_H
#define TAPRUN_OPTIONS_H

#include "loader.h"

struct options {
	struct load_options load;
	double timeout_s;	/* -T; 0: none */
	const char *out_path;	/* -o */
	const char *command;	/* -c: the target process to start */
	int json;		/* -j */
	int quiet_warnings;	/* -w: print no warnings (stap -w) */
	const char *module_dir;
	int nargs;		/* script arguments after MODULE_DIR */
	char **args;
};

/* 0, or -1 after printing a usage error (exit status 1). 1: -h printed. */
int options_parse(int argc, char **argv, struct options *o);

#endif /* TAPRUN_OPTIONS_H */
