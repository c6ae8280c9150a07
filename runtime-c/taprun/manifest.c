// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Only what taprun needs from the manifest: the runtime must be "bpf", the
 * format version known, and exactly one file each of role bpf-object and
 * user-part, with safe flat names; and that every probed user-space file
 * is the build the module was compiled against (user_files.c). Signatures
 * and hashes are the agent's business (it checks them before it starts
 * taprun).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "json.h"
#include "manifest.h"
#include "user_files.h"

#define MANIFEST_MAX_BYTES (4 << 20)
#define MANIFEST_FORMAT_VERSION 1

static char *read_file(const char *path, size_t *len, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f) {
		snprintf(err, errsize, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		snprintf(err, errsize, "cannot read %s", path);
		fclose(f);
		return NULL;
	}
	if (size > MANIFEST_MAX_BYTES) {
		snprintf(err, errsize, "%s is larger than %d bytes", path,
			 MANIFEST_MAX_BYTES);
		fclose(f);
		return NULL;
	}
	buf = malloc(size + 1);
	if (!buf || fread(buf, 1, size, f) != (size_t)size) {
		snprintf(err, errsize, "cannot read %s", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	*len = size;
	fclose(f);
	return buf;
}

static int safe_file_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 100 || s[0] == '.' || s[0] == '-' || strstr(s, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]))
			return 0;
	return 1;
}

static int set_path(char *dst, const char *dir, const char *name,
		    const char *role, char *err, size_t errsize)
{
	struct stat st;

	if (dst[0]) {
		snprintf(err, errsize, "manifest.json: more than one file with role %s",
			 role);
		return -1;
	}
	snprintf(dst, PATH_MAX, "%s/%s", dir, name);
	if (stat(dst, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "module file %s (role %s) is missing", name,
			 role);
		return -1;
	}
	return 0;
}

static int check(const struct json *m, const char *dir,
		 struct module_files *out, char *err, size_t errsize)
{
	const struct json *v, *f;
	const char *runtime, *name;

	if (m->type != JSON_OBJECT) {
		snprintf(err, errsize, "manifest.json: not a JSON object");
		return -1;
	}
	v = json_get(m, "formatVersion");
	if (!v || v->type != JSON_NUMBER || v->num != MANIFEST_FORMAT_VERSION) {
		snprintf(err, errsize,
			 "manifest.json: unsupported formatVersion (taprun reads version %d)",
			 MANIFEST_FORMAT_VERSION);
		return -1;
	}
	runtime = json_get_str(m, "runtime");
	if (!runtime) {
		snprintf(err, errsize, "manifest.json: no runtime");
		return -1;
	}
	if (strcmp(runtime, "bpf") && strcmp(runtime, "kmod")) {
		snprintf(err, errsize,
			 "module is for the %.32s runtime; taprun runs bpf and kmod modules",
			 runtime);
		return -1;
	}
	out->kmod = !strcmp(runtime, "kmod");
	name = json_get_str(m, "name");
	if (!name || !*name || strlen(name) >= sizeof(out->name)) {
		snprintf(err, errsize, "manifest.json: bad module name");
		return -1;
	}
	strcpy(out->name, name);
	v = json_get(m, "files");
	if (!v || v->type != JSON_ARRAY) {
		snprintf(err, errsize, "manifest.json: no files list");
		return -1;
	}
	for (f = v->child; f; f = f->next) {
		const char *fname = json_get_str(f, "name");
		const char *role = json_get_str(f, "role");

		if (!fname || !role || !safe_file_name(fname)) {
			snprintf(err, errsize, "manifest.json: bad file entry");
			return -1;
		}
		if (!out->kmod && !strcmp(role, "bpf-object") &&
		    set_path(out->bpf_object, dir, fname, role, err, errsize))
			return -1;
		if (!out->kmod && !strcmp(role, "user-part") &&
		    set_path(out->user_part, dir, fname, role, err, errsize))
			return -1;
		if (out->kmod && !strcmp(role, "kernel-module") &&
		    set_path(out->kernel_module, dir, fname, role, err, errsize))
			return -1;
	}
	if (out->kmod) {
		if (out->kernel_module[0])
			return 0;
		snprintf(err, errsize,
			 "manifest.json: a kmod module needs one file with role kernel-module");
		return -1;
	}
	if (!out->bpf_object[0] || !out->user_part[0]) {
		snprintf(err, errsize,
			 "manifest.json: a bpf module needs one file with role bpf-object and one with role user-part");
		return -1;
	}
	return 0;
}

int manifest_read(const char *dir, struct module_files *out, char *err,
		  size_t errsize)
{
	char path[PATH_MAX], perr[200];
	struct json *m;
	size_t len;
	char *text;
	int ret;

	memset(out, 0, sizeof(*out));
	if (strlen(dir) >= sizeof(out->dir) - 128) {
		snprintf(err, errsize, "module directory path too long");
		return -1;
	}
	strcpy(out->dir, dir);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	text = read_file(path, &len, err, errsize);
	if (!text)
		return -1;
	m = json_parse(text, len, perr, sizeof(perr));
	free(text);
	if (!m) {
		snprintf(err, errsize, "manifest.json: not valid JSON (%s)", perr);
		return -1;
	}
	ret = check(m, dir, out, err, errsize);
	/* before anything loads: a uprobe offset is only right in its own build */
	if (!ret)
		ret = user_files_check(json_get(m, "userFiles"), err, errsize);
	json_free(m);
	return ret;
}
