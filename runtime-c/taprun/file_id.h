/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The identity of a user-space ELF file a module probes: its GNU build-id
 * (.note.gnu.build-id), or the SHA-256 of its contents when it has none.
 * The controller records it in the manifest (controller/module/user-files.ts);
 * taprun compares it with the target's file before anything attaches.
 */
#ifndef TAPRUN_FILE_ID_H
#define TAPRUN_FILE_ID_H

#include <stddef.h>

enum file_id_kind { FILE_ID_BUILD_ID, FILE_ID_SHA256 };

/* At most 64 bytes (GNU ld writes 20; the manifest allows 64). */
#define FILE_ID_MAX_BYTES 64
#define FILE_ID_HEX_SIZE (2 * FILE_ID_MAX_BYTES + 1)

struct file_id {
	enum file_id_kind kind;
	char hex[FILE_ID_HEX_SIZE];	/* lowercase, NUL-terminated */
};

/*
 * Fills id for the file at path. Returns 0, or a negative errno with a
 * message in err: -ENOENT and the like when it cannot be opened, -ENOEXEC
 * when it is not an ELF file.
 */
int file_id_read(const char *path, struct file_id *id, char *err,
		 size_t errsize);

/* "build-id" or "sha256": the manifest's names for the kinds. */
const char *file_id_kind_name(enum file_id_kind kind);

#endif /* TAPRUN_FILE_ID_H */
