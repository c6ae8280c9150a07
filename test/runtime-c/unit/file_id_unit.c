// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drives runtime-c/taprun/file_id.c and user_files.c for
 * test/runtime-c/file-id.test.ts:
 *   file_id_unit id PATH           prints "KIND HEX", or the error and exits 1
 *   file_id_unit check MANIFEST    checks its userFiles: "ok" or the error
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "file_id.h"
#include "json.h"
#include "user_files.h"

static int check_manifest(const char *path)
{
	static char text[1 << 20];
	char err[2048];
	struct json *m;
	FILE *f = fopen(path, "rb");
	size_t n;
	int ret;

	if (!f)
		return 2;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	m = json_parse(text, n, err, sizeof(err));
	if (!m) {
		printf("bad json: %s\n", err);
		return 2;
	}
	ret = user_files_check(json_get(m, "userFiles"), err, sizeof(err));
	printf("%s\n", ret ? err : "ok");
	json_free(m);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct file_id id;
	char err[512];
	int ret;

	if (argc == 3 && !strcmp(argv[1], "check"))
		return check_manifest(argv[2]);
	if (argc != 3 || strcmp(argv[1], "id")) {
		fprintf(stderr, "usage: file_id_unit id PATH | check MANIFEST\n");
		return 2;
	}
	ret = file_id_read(argv[2], &id, err, sizeof(err));
	if (ret) {
		printf("%d %s\n", ret, err);
		return 1;
	}
	printf("%s %s\n", file_id_kind_name(id.kind), id.hex);
	return 0;
}
