/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a module directory's manifest.json (controller/module/manifest.ts). */
#ifndef TAPRUN_MANIFEST_H
#define TAPRUN_MANIFEST_H

#include <limits.h>

struct module_files {
	char name[64];		/* manifest name */
	char dir[PATH_MAX];
	char bpf_object[PATH_MAX];	/* role bpf-object */
	char user_part[PATH_MAX];	/* role user-part */
	char kernel_module[PATH_MAX];	/* role kernel-module (kmod) */
	int kmod;		/* runtime "kmod" (else "bpf") */
};

/*
 * Reads MODULE_DIR/manifest.json and finds the files taprun needs. Returns
 * 0, or -1 with a message for the user in err ("manifest.json: ...").
 */
int manifest_read(const char *dir, struct module_files *out, char *err,
		  size_t errsize);

#endif /* TAPRUN_MANIFEST_H */
