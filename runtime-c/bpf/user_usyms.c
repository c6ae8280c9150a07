// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * User-space frames for print_ubacktrace(): the process's executable
 * mappings from /proc/PID/maps when its record arrives, and each mapped
 * file's function symbols (.symtab, else .dynsym), read once with libelf
 * and kept by path. A frame is looked up by its offset in the file, so
 * position-independent code and shared libraries need no load address.
 * A process already gone is named through the build-id and offset the
 * kernel recorded with each frame, the file found among those mapped by
 * live processes (a library it used is mapped by others).
 */
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tap_format.h"
#include "user_usyms.h"
#include "../taprun/file_id.h"

/* Files whose symbols are kept; past this, the oldest is dropped. */
#define TAP_USYM_FILES_MAX 64
/* Mappings read from one process's maps. */
#define TAP_USYM_MAPS_MAX 1024

struct usym {
	__u64 off;		/* in the file */
	__u64 size;
	char *name;
};

struct ufile {
	char *path;
	struct usym *syms;	/* by offset */
	size_t n;
};

struct umap {
	__u64 start, end, pgoff;
	char path[256];
};

static struct ufile files[TAP_USYM_FILES_MAX];
static size_t nfiles, next_victim;

static int by_off(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* A virtual address of the file as an offset in it, through its PT_LOADs. */
static int vaddr_to_off(Elf *e, size_t nphdr, __u64 vaddr, __u64 *off)
{
	size_t i;

	for (i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

/* The function symbols of one section (SHT_SYMTAB or SHT_DYNSYM); 0 if it has none. */
static size_t read_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, size_t nphdr,
			   struct ufile *f)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0, i;

	if (!data || !count)
		return 0;
	f->syms = calloc(count, sizeof(*f->syms));
	if (!f->syms)
		return 0;
	for (i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;
		__u64 off;

		if (!gelf_getsym(data, i, &s) || !s.st_value ||
		    (GELF_ST_TYPE(s.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(s.st_info) != STT_GNU_IFUNC))
			continue;
		name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name || !*name || vaddr_to_off(e, nphdr, s.st_value, &off))
			continue;
		f->syms[f->n].off = off;
		f->syms[f->n].size = s.st_size;
		f->syms[f->n].name = strdup(name);
		if (f->syms[f->n].name)
			f->n++;
	}
	qsort(f->syms, f->n, sizeof(*f->syms), by_off);
	return f->n;
}

static void load_file(struct ufile *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr sh, dynsh;
	size_t nphdr;

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF && !elf_getphdrnum(e, &nphdr)) {
		while ((scn = elf_nextscn(e, scn))) {
			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_SYMTAB && read_symbols(e, scn, &sh, nphdr, f))
				break;
			if (sh.sh_type == SHT_DYNSYM) {
				dynsym = scn;
				dynsh = sh;
			}
		}
		/* a stripped file: the dynamic symbols it exports */
		if (!f->n && dynsym) {
			free(f->syms);
			f->syms = NULL;
			read_symbols(e, dynsym, &dynsh, nphdr, f);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
}

static struct ufile *file_symbols(const char *path)
{
	struct ufile *f;
	size_t i;

	for (i = 0; i < nfiles; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	if (nfiles < TAP_USYM_FILES_MAX) {
		f = &files[nfiles++];
	} else {
		f = &files[next_victim++ % TAP_USYM_FILES_MAX];
		for (i = 0; i < f->n; i++)
			free(f->syms[i].name);
		free(f->syms);
		free(f->path);
	}
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (f->path)
		load_file(f);
	return f;
}

/* The symbol whose range holds off, or NULL. */
static const struct usym *lookup(const struct ufile *f, __u64 off)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0) {
		const struct usym *s = &f->syms[--lo];

		/* a zero-sized symbol (assembler labels) covers nothing */
		if (off - s->off < s->size)
			return s;
		if (lo == 0 || f->syms[lo - 1].off != s->off)
			break;
	}
	return NULL;
}

/* The file-backed executable mappings of pid; their number (0: gone). */
static size_t read_maps(__u32 pid, struct umap *maps, size_t max)
{
	char path[64], line[512];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	while (n < max && fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, pgoff;
		char perms[8];
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms,
			   &pgoff, &at) < 4 || !at || perms[2] != 'x' || line[at] != '/')
			continue;
		maps[n].start = start;
		maps[n].end = end;
		maps[n].pgoff = pgoff;
		snprintf(maps[n].path, sizeof(maps[n].path), "%s", line + at);
		maps[n].path[strcspn(maps[n].path, "\n")] = '\0';
		n++;
	}
	fclose(fp);
	return n;
}

/* ---- build-ids of mapped files, to name a frame after its process is gone ---- */

struct known_id {
	unsigned char id[20];
	char *path;
};

static struct known_id *known;
static size_t nknown, known_cap;
static char **seen_paths;	/* files whose build-id was read (or had none) */
static size_t nseen, seen_cap;
static time_t last_full_scan;

/* The 20-byte GNU build-id of the ELF file at path (file_id.c reads it); 0 without one. */
static int read_build_id(const char *path, unsigned char id[20])
{
	struct file_id fid;
	char err[128];
	unsigned int byte;
	int k;

	if (file_id_read(path, &fid, err, sizeof(err)) || fid.kind != FILE_ID_BUILD_ID ||
	    strlen(fid.hex) != 40)
		return 0;
	for (k = 0; k < 20; k++) {
		if (sscanf(fid.hex + 2 * k, "%2x", &byte) != 1)
			return 0;
		id[k] = (unsigned char)byte;
	}
	return 1;
}

/* Reads the build-id of a file not seen before. */
void tap_usyms_learn_file(const char *path)
{
	unsigned char id[20];
	size_t i;

	for (i = 0; i < nseen; i++)
		if (!strcmp(seen_paths[i], path))
			return;
	if (nseen == seen_cap) {
		char **more = realloc(seen_paths, (seen_cap ? 2 * seen_cap : 64) * sizeof(*more));

		if (!more)
			return;
		seen_paths = more;
		seen_cap = seen_cap ? 2 * seen_cap : 64;
	}
	seen_paths[nseen] = strdup(path);
	if (!seen_paths[nseen])
		return;
	nseen++;
	if (!read_build_id(path, id))
		return;
	if (nknown == known_cap) {
		struct known_id *more = realloc(known, (known_cap ? 2 * known_cap : 64) * sizeof(*more));

		if (!more)
			return;
		known = more;
		known_cap = known_cap ? 2 * known_cap : 64;
	}
	memcpy(known[nknown].id, id, 20);
	known[nknown].path = seen_paths[nseen - 1];
	nknown++;
}

static void learn_process(__u32 pid, struct umap *maps)
{
	size_t n = read_maps(pid, maps, TAP_USYM_MAPS_MAX), i;

	for (i = 0; i < n; i++)
		tap_usyms_learn_file(maps[i].path);
}

static const char *known_path(const unsigned char id[20])
{
	size_t i;

	for (i = 0; i < nknown; i++)
		if (!memcmp(known[i].id, id, 20))
			return known[i].path;
	return NULL;
}

/*
 * The file with build-id id: from what was learnt, then the process's
 * own mappings, then (at most once a second) every process's: a library
 * the process had mapped is mapped by others too.
 */
static const char *path_of_build_id(const unsigned char id[20], __u32 pid, struct umap *maps)
{
	const char *path = known_path(id);
	DIR *proc;
	struct dirent *d;

	if (path)
		return path;
	learn_process(pid, maps);
	path = known_path(id);
	if (path || time(NULL) == last_full_scan)
		return path;
	last_full_scan = time(NULL);
	proc = opendir("/proc");
	while (proc && (d = readdir(proc)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9')
			learn_process((__u32)strtoul(d->d_name, NULL, 10), maps);
	if (proc)
		closedir(proc);
	return known_path(id);
}

/* A frame without a symbol: its address (as stap's brief form), or where in which file. */
static void print_address(struct tap_buf *o, __u64 addr, const char *path, __u64 off, int brief)
{
	struct tap_value v[3] = { { (long long)addr, NULL }, { 0, path }, { (long long)off, NULL } };

	if (brief || !path)
		tap_format(o, TAP_STREAM_FIELD_MAX, brief ? "%p\n" : " %p\n", v, 1);
	else
		tap_format(o, TAP_STREAM_FIELD_MAX, " %p [%s+%#lx]\n", v, 3);
}

static void print_frame(struct tap_buf *o, __u64 addr, const char *path, __u64 off, int brief)
{
	const struct usym *s = lookup(file_symbols(path), off);

	if (s && brief) {
		struct tap_value v[2] = { { 0, s->name }, { (long long)(off - s->off), NULL } };

		tap_format(o, TAP_STREAM_FIELD_MAX, "%s+%#lx\n", v, 2);
	} else if (s) {
		struct tap_value v[5] = {
			{ (long long)addr, NULL }, { 0, s->name },
			{ (long long)(off - s->off), NULL }, { (long long)s->size, NULL },
			{ 0, path },
		};

		tap_format(o, TAP_STREAM_FIELD_MAX, " %p : %s+%#lx/%#lx [%s]\n", v, 5);
	} else {
		print_address(o, addr, path, off, brief);
	}
}

void tap_print_user_stack(struct tap_buf *o, __u32 pid, const __u64 *frames, size_t n,
			  const struct tap_stack_id *ids, size_t nids, int brief)
{
	struct umap *maps = calloc(TAP_USYM_MAPS_MAX, sizeof(*maps));
	struct umap *scratch = NULL;	/* other processes' maps, read once needed */
	size_t nmaps, i, m;

	if (!maps)
		return;
	nmaps = read_maps(pid, maps, TAP_USYM_MAPS_MAX);
	for (i = 0; i < n && frames[i]; i++) {
		__u64 addr = frames[i];
		const char *path;

		for (m = 0; m < nmaps; m++)
			if (addr >= maps[m].start && addr < maps[m].end)
				break;
		if (m < nmaps) {
			print_frame(o, addr, maps[m].path, addr - maps[m].start + maps[m].pgoff, brief);
			continue;
		}
		/* the process is gone: its file by build-id, as the kernel saw it */
		if (i < nids && ids[i].status == 1) {
			if (!scratch)
				scratch = calloc(TAP_USYM_MAPS_MAX, sizeof(*scratch));
			path = scratch ? path_of_build_id(ids[i].build_id, pid, scratch) : NULL;
			if (path) {
				print_frame(o, addr, path, ids[i].offset, brief);
				continue;
			}
		}
		print_address(o, addr, NULL, 0, brief);
	}
	free(scratch);
	free(maps);
}

/* ---- mappings kept for print_ustack() (ubacktrace() strings) ---- */

/* Processes whose mappings are kept; past this, the oldest is dropped. */
#define TAP_USYM_PIDS_MAX 64

struct snapshot {
	__u32 pid;
	struct umap *maps;
	size_t n;
};

static struct snapshot snapshots[TAP_USYM_PIDS_MAX];
static size_t nsnapshots, next_snapshot;

void tap_usyms_keep_maps(__u32 pid)
{
	struct snapshot *sn = NULL;
	size_t i;

	for (i = 0; i < nsnapshots; i++)
		if (snapshots[i].pid == pid)
			sn = &snapshots[i];
	if (!sn) {
		sn = nsnapshots < TAP_USYM_PIDS_MAX ? &snapshots[nsnapshots++] :
		     &snapshots[next_snapshot++ % TAP_USYM_PIDS_MAX];
		free(sn->maps);
		sn->maps = calloc(TAP_USYM_MAPS_MAX, sizeof(*sn->maps));
		sn->pid = pid;
		sn->n = 0;
	}
	if (sn->maps)
		sn->n = read_maps(pid, sn->maps, TAP_USYM_MAPS_MAX);
	for (i = 0; i < sn->n; i++)
		tap_usyms_learn_file(sn->maps[i].path);
}

void tap_print_ustack_string(struct tap_buf *o, const char *stk)
{
	const char *p = stk;
	char *end;

	while (*p) {
		unsigned long long addr = strtoull(p, &end, 16);
		size_t i, m;

		if (end == p)
			break;
		p = end + strspn(end, " ");
		for (i = 0; i < nsnapshots; i++) {
			const struct snapshot *sn = &snapshots[i];

			for (m = 0; m < sn->n; m++)
				if (addr >= sn->maps[m].start && addr < sn->maps[m].end)
					break;
			if (m < sn->n) {
				print_frame(o, addr, sn->maps[m].path,
					    addr - sn->maps[m].start + sn->maps[m].pgoff, 0);
				break;
			}
		}
		if (i == nsnapshots)
			print_address(o, addr, NULL, 0, 0);
	}
}
