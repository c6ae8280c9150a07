// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a file's GNU build-id through libelf: the PT_NOTE segments first
 * (what the kernel and the dynamic loader see, present even when section
 * headers are stripped), then the SHT_NOTE sections. No note: the SHA-256
 * of the whole file, read in chunks.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "file_id.h"
#include "sha256.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The build-id among the notes of one data block; 1 when found. */
static int find_in_notes(Elf_Data *data, struct file_id *id)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (data && off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;

		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(name, "GNU", 4) && nh.n_descsz > 0 &&
		    nh.n_descsz <= FILE_ID_MAX_BYTES) {
			to_hex((const unsigned char *)data->d_buf + desc_off,
			       nh.n_descsz, id->hex);
			id->kind = FILE_ID_BUILD_ID;
			return 1;
		}
		off = next;
	}
	return 0;
}

static int find_build_id(Elf *elf, struct file_id *id)
{
	Elf_Scn *scn = NULL;
	size_t i, nphdr;

	if (!elf_getphdrnum(elf, &nphdr)) {
		for (i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_NOTE)
				continue;
			if (find_in_notes(elf_getdata_rawchunk(elf, ph.p_offset,
							       ph.p_filesz,
							       ELF_T_NHDR), id))
				return 1;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    find_in_notes(elf_getdata(scn, NULL), id))
			return 1;
	}
	return 0;
}

static int hash_file(int fd, const char *path, struct file_id *id, char *err,
		     size_t errsize)
{
	unsigned char buf[65536], digest[32];
	struct sha256 s;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	sha256_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&s, buf, n);
	if (n < 0)
		goto fail;
	sha256_final(&s, digest);
	to_hex(digest, sizeof(digest), id->hex);
	id->kind = FILE_ID_SHA256;
	return 0;
fail:
	n = errno;
	snprintf(err, errsize, "cannot read %s: %s", path, strerror(n));
	return -n;
}

int file_id_read(const char *path, struct file_id *id, char *err,
		 size_t errsize)
{
	int fd, ret = 0;
	Elf *elf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errsize, "cannot open %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errsize, "libelf: %s", elf_errmsg(-1));
		close(fd);
		return -EINVAL;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errsize, "%s is not an ELF file", path);
		ret = -ENOEXEC;
	} else if (!find_build_id(elf, id)) {
		ret = hash_file(fd, path, id, err, errsize);
	}
	elf_end(elf);
	close(fd);
	return ret;
}

const char *file_id_kind_name(enum file_id_kind kind)
{
	return kind == FILE_ID_BUILD_ID ? "build-id" : "sha256";
}
