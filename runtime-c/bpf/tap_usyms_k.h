/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usymname(), usymdata(), umodname() and sprint_ubacktrace() in
 * kernel-side probes of the bpf runtime: an address of the current task, named as the kmod runtime
 * names it (kmod_ustack.c), in the probe itself, so that the string can be
 * a key, compared, or printed later.
 *
 * The mapping comes from bpf_find_vma() (the task's mmap lock by trylock:
 * where it is not to be had, the address stays unnamed, as on kmod), once
 * per handler run and mapping: with interrupts off (timer.profile) the
 * lock's release waits for an irq_work, and until it has run the helper
 * refuses (-EBUSY), so a second call in the same handler would fail; the
 * file's path from its dentries and mounts as the task sees them
 * (dentry.stp's task_dentry_path(), here in C: one bpf_loop() round a
 * component); the symbol from the tables the module carries for the files
 * its script probes and those -d names (user-symbol-tables.ts, in
 * .rodata: TAP_NUFILES, TAP_NUSYMS, tap_ufiles, tap_usyms,
 * tap_usym_names), found by the file's path and the offset in it.
 *
 * Included by the generated C after those tables, when the script uses
 * one of these functions in a kernel-side probe.
 */
#ifndef TAP_USYMS_K_H
#define TAP_USYMS_K_H

/* Path components walked, mount crossings included; a deeper file is "<unknown>". */
#define TAP_UPATH_DEPTH 64

struct tap_uvma {
	__u64 addr;
	__u64 file;	/* struct file *, 0: no file mapped there */
	__u64 start, end, pgoff;	/* the mapping */
};

struct tap_usym_state {
	/* the path walk */
	__u64 dentry, vfsmnt, mnt, root_dentry, root_mnt;
	__u64 dents[TAP_UPATH_DEPTH];
	__s64 n, len;
	int unknown;
	/* the mapping found last, in handler run `hit` (see above) */
	__u64 hit;
	struct tap_uvma vma;
	/* whose path `path` is (and which table file, `file`), in handler run `path_hit` */
	__u64 path_file, path_hit;
	/* the lookup: the offset, the table file whose path matched, the bisection's bounds */
	__u64 off;
	__s64 file;
	__u64 lo, hi;
	__s64 found;
	char path[MAXSTRINGLEN];
	char want[MAXSTRINGLEN];
};
TAP_PERCPU_STATE(tap_usym_states, struct tap_usym_state);

const char tap_upath_component[] = "/%s";
const char tap_usym_hex[] = "0x%llx";
const char tap_usym_data[] = "%s+0x%llx/0x%llx [%s]";
const char tap_usym_nosym[] = "0x%llx [%s+0x%llx]";
const char tap_usym_unknown[] = "<unknown>";
/* the same, a line of sprint_ubacktrace() (stap's simple form) */
const char tap_usym_simple[] = "%s+0x%llx [%s]\n";
const char tap_usym_simple_nosym[] = "0x%llx [%s+0x%llx]\n";
const char tap_usym_simple_bare[] = "0x%llx\n";

static long tap_uvma_found(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct tap_uvma *u = data;

	u->file = (__u64)(unsigned long)BPF_CORE_READ(vma, vm_file);
	u->start = BPF_CORE_READ(vma, vm_start);
	u->end = BPF_CORE_READ(vma, vm_end);
	u->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	return 0;
}

/*
 * The file mapped at addr in the current task and the offset in it (*off);
 * -1 for none (or the lock busy). The mapping found in this handler run
 * serves its other addresses.
 */
static __always_inline int tap_uvma(struct tap_usym_state *st, __u64 addr, __u64 *file, __u64 *off)
{
	struct tap_context *c = tap_context_get();
	struct tap_uvma u = { .addr = addr };

	if (!c)
		return -1;
	if (st->hit != c->hit || addr < st->vma.start || addr >= st->vma.end) {
		if (bpf_find_vma(bpf_get_current_task_btf(), addr, tap_uvma_found, &u, 0) || !u.file)
			return -1;
		st->vma = u;
		st->hit = c->hit;
	}
	*file = st->vma.file;
	*off = addr - st->vma.start + (st->vma.pgoff << 12);
	return 0;
}

/* One step of the walk toward the task's root: a component kept, or a mount crossed. */
static __attribute__((unused)) long tap_upath_up(__u64 i, void *data)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	struct dentry *d, *parent, *mnt_root;
	struct vfsmount *vm;
	struct mount *m, *mparent;
	__s64 n;

	if (!st)
		return 1;
	if (st->dentry == st->root_dentry && st->vfsmnt == st->root_mnt)
		return 1;
	d = (struct dentry *)(unsigned long)st->dentry;
	m = (struct mount *)(unsigned long)st->mnt;
	vm = (struct vfsmount *)(unsigned long)st->vfsmnt;
	parent = BPF_CORE_READ(d, d_parent);
	mnt_root = BPF_CORE_READ(vm, mnt_root);
	if (d == mnt_root || d == parent) {
		if (d != mnt_root) {	/* left its mount without meeting the mount's root */
			st->unknown = 1;
			return 1;
		}
		mparent = BPF_CORE_READ(m, mnt_parent);
		if (mparent == m)	/* the global root: as far as a path goes */
			return 1;
		st->dentry = (__u64)(unsigned long)BPF_CORE_READ(m, mnt_mountpoint);
		st->mnt = (__u64)(unsigned long)mparent;
		st->vfsmnt = st->mnt + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	n = st->n;
	if (n < 0 || n >= TAP_UPATH_DEPTH) {
		st->unknown = 1;
		return 1;
	}
	st->dents[n] = st->dentry;
	st->n = n + 1;
	st->dentry = (__u64)(unsigned long)parent;
	return 0;
}

/* "/" and the next component's name, root first, into the string scratch. */
static __attribute__((unused)) long tap_upath_name(__u64 i, void *data)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	struct dentry *d;
	__s64 k;
	__u64 at, name;
	long n;

	if (!st || !w)
		return 1;
	k = st->n - 1 - (__s64)i;
	if (k < 0 || k >= TAP_UPATH_DEPTH)
		return 1;
	/* (a local first: inside BPF_CORE_READ() the state's own access would become a relocation too) */
	d = (struct dentry *)(unsigned long)st->dents[k];
	name = (__u64)(unsigned long)BPF_CORE_READ(d, d_name.name);
	at = st->len;
	asm volatile("" : "+r"(at));
	if (at > MAXSTRINGLEN - 1)
		return 1;
	n = bpf_snprintf(w->bytes + at, MAXSTRINGLEN, tap_upath_component, &name, sizeof(name));
	if (n <= 0)
		return 1;
	st->len = at + n - 1;
	return st->len >= MAXSTRINGLEN - 1;
}

/* The path of an open file as the current task sees it (stap's d_path); "<unknown>" where the walk cannot say. */
static __always_inline void tap_file_path(char *dst, __u64 file)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	struct tap_str_scratch *w = bpf_map_lookup_elem(&tap_str_scratches, &tap_zero_key);
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = (struct file *)(unsigned long)file;

	dst[0] = '\0';
	if (!st || !w)
		return;
	st->dentry = (__u64)(unsigned long)BPF_CORE_READ(f, f_path.dentry);
	st->vfsmnt = (__u64)(unsigned long)BPF_CORE_READ(f, f_path.mnt);
	st->mnt = st->vfsmnt - bpf_core_field_offset(struct mount, mnt);
	st->root_dentry = (__u64)(unsigned long)BPF_CORE_READ(task, fs, root.dentry);
	st->root_mnt = (__u64)(unsigned long)BPF_CORE_READ(task, fs, root.mnt);
	st->n = 0;
	st->len = 0;
	st->unknown = 0;
	bpf_loop(2 * TAP_UPATH_DEPTH, tap_upath_up, NULL, 0);
	if (st->unknown || !st->dentry) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_usym_unknown);
		return;
	}
	w->bytes[0] = '/';
	w->bytes[1] = '\0';
	bpf_loop(TAP_UPATH_DEPTH, tap_upath_name, NULL, 0);
	bpf_probe_read_kernel(dst, MAXSTRINGLEN, w->bytes);
	dst[MAXSTRINGLEN - 1] = '\0';
}

/* Is st->path the path of table file f? Then it is the one (st->file), and the walk stops. */
static __attribute__((unused)) long tap_usym_in_file(__u64 f, void *data)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	__u64 path;

	if (!st || f >= TAP_NUFILES)
		return 1;
	path = tap_ufiles[f].path;
	if (path >= TAP_USYM_BYTES)
		return 1;
	bpf_probe_read_kernel_str(st->want, MAXSTRINGLEN, tap_usym_names + path);
	if (tap_str_ncmp(st->path, st->want, MAXSTRINGLEN))
		return 0;
	st->file = f;
	return 1;
}

/*
 * One halving of [lo, hi) toward the last symbol starting at or before the
 * offset: a bpf_loop() round each (an unrolled search would have the
 * verifier follow every path through it).
 */
static __attribute__((unused)) long tap_usym_bisect(__u64 i, void *data)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	__u64 mid;

	if (!st || st->lo >= st->hi)
		return 1;
	mid = st->lo + (st->hi - st->lo) / 2;
	if (mid >= TAP_NUSYMS)
		return 1;
	if (tap_usyms[mid].start <= st->off)
		st->lo = mid + 1;
	else
		st->hi = mid;
	return 0;
}

/*
 * The file mapped at addr: its path in st->path ("" for none), which table
 * file it is in st->file (-1 for none), the offset in it in st->off. The
 * path and the table are looked up again only for another file or handler
 * run: a stack's frames are mostly in one or two files, and usymname() and
 * umodname() of one address share them.
 */
static __always_inline int tap_usym_file(struct tap_usym_state *st, tap_long addr)
{
	__u64 file, off;

	if (tap_uvma(st, (__u64)addr, &file, &off)) {
		st->path[0] = '\0';
		st->path_file = 0;
		st->file = -1;
		return -1;
	}
	st->off = off;
	if (file != st->path_file || st->path_hit != st->hit) {
		tap_file_path(st->path, file);
		st->path_file = file;
		st->path_hit = st->hit;
		st->file = -1;
		if (TAP_NUFILES > 0)
			bpf_loop(TAP_NUFILES, tap_usym_in_file, NULL, 0);
	}
	return 0;
}

/* The file and symbol at addr: the state's path (or "" for no file) and found (or -1). */
static __always_inline struct tap_usym_state *tap_usym_at(tap_long addr)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);
	__u64 first, last;

	if (!st)
		return NULL;
	st->found = -1;
	if (tap_usym_file(st, addr) || st->file < 0 || st->file >= TAP_NUFILES)
		return st;
	first = tap_ufiles[st->file].first;
	st->lo = first;
	st->hi = first + tap_ufiles[st->file].n;
	bpf_loop(32, tap_usym_bisect, NULL, 0);
	last = st->lo - 1;
	if (st->lo > first && last < TAP_NUSYMS && st->off - tap_usyms[last].start < tap_usyms[last].size)
		st->found = last;
	return st;
}

/* The symbol's name, or the address in hex */
static __always_inline void tap_usymname_k(char *dst, tap_long addr)
{
	struct tap_usym_state *st = tap_usym_at(addr);
	__s64 s = st ? st->found : -1;

	if (s >= 0 && s < TAP_NUSYMS && tap_usyms[s].name < TAP_USYM_BYTES) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_usym_names + tap_usyms[s].name);
		return;
	}
	bpf_snprintf(dst, MAXSTRINGLEN, tap_usym_hex, (__u64 *)&addr, 8);
}

/*
 * An address named as usymdata() names it, "name+0xOFF/0xSIZE [FILE]",
 * "0xADDR [FILE+0xOFF]" without a symbol, "0xADDR" without a file; or, as
 * a `line` of sprint_ubacktrace(), "name+0xOFF [FILE]\n" and the same two.
 * What bpf_snprintf() gives: the bytes written, the NUL counted.
 */
static __always_inline long tap_usym_print(char *dst, struct tap_usym_state *st, __u64 addr, int line)
{
	__s64 s = st ? st->found : -1;
	__u64 args[4];

	if (st && s >= 0 && s < TAP_NUSYMS && tap_usyms[s].name < TAP_USYM_BYTES) {
		args[0] = (__u64)(unsigned long)(tap_usym_names + tap_usyms[s].name);
		args[1] = st->off - tap_usyms[s].start;
		if (line) {
			args[2] = (__u64)(unsigned long)st->path;
			return bpf_snprintf(dst, MAXSTRINGLEN, tap_usym_simple, args, 3 * sizeof(args[0]));
		}
		args[2] = tap_usyms[s].size;
		args[3] = (__u64)(unsigned long)st->path;
		return bpf_snprintf(dst, MAXSTRINGLEN, tap_usym_data, args, sizeof(args));
	}
	if (st && st->path[0]) {
		args[0] = addr;
		args[1] = (__u64)(unsigned long)st->path;
		args[2] = st->off;
		return bpf_snprintf(dst, MAXSTRINGLEN, line ? tap_usym_simple_nosym : tap_usym_nosym, args, 3 * sizeof(args[0]));
	}
	return bpf_snprintf(dst, MAXSTRINGLEN, line ? tap_usym_simple_bare : tap_usym_hex, &addr, sizeof(addr));
}

static __always_inline void tap_usymdata_k(char *dst, tap_long addr)
{
	tap_usym_print(dst, tap_usym_at(addr), (__u64)addr, 0);
}

/* The path of the file mapped at addr; -1 (and "<unknown>") for none */
static __always_inline int tap_umodname_k(char *dst, tap_long addr)
{
	struct tap_usym_state *st = bpf_map_lookup_elem(&tap_usym_states, &tap_zero_key);

	if (!st || tap_usym_file(st, addr)) {
		bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, tap_usym_unknown);
		return -1;
	}
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, st->path);
	return 0;
}

/*
 * sprint_ubacktrace(): the user stack of the event in stap's simple form, a
 * line a frame, "name+0xOFF [FILE]", "0xADDR [FILE+0xOFF]" without a
 * symbol, "0xADDR" without a file; whole lines, as many as MAXSTRINGLEN
 * holds (as kmod's). Each frame is named as usymname() names an address; in
 * a handler with interrupts off the frames outside the first frame's
 * mapping stay bare addresses (one mapping lock a handler run, above).
 */
struct tap_usym_stack {
	__u64 frames[MAXBACKTRACE];
	__s64 depth, len;
	char line[MAXSTRINGLEN];
	char out[2 * MAXSTRINGLEN];
};
TAP_PERCPU_STATE(tap_usym_stacks, struct tap_usym_stack);

static __attribute__((unused)) long tap_usym_frame(__u64 i, void *data)
{
	struct tap_usym_stack *k = bpf_map_lookup_elem(&tap_usym_stacks, &tap_zero_key);
	__u64 addr, at;
	long n;

	if (!k || i >= MAXBACKTRACE || (__s64)i >= k->depth)
		return 1;
	addr = k->frames[i];
	if (!addr)
		return 1;
	n = tap_usym_print(k->line, tap_usym_at((tap_long)addr), addr, 1);
	at = k->len;
	asm volatile("" : "+r"(at));
	if (n <= 1 || n > MAXSTRINGLEN || at > MAXSTRINGLEN - 1 || at + n - 1 >= MAXSTRINGLEN)
		return 1;	/* whole lines only */
	bpf_probe_read_kernel(k->out + at, n, k->line);
	k->len = at + n - 1;
	return 0;
}

static __always_inline void tap_sprint_ubacktrace_k(char *dst, void *ctx)
{
	struct tap_usym_stack *k = bpf_map_lookup_elem(&tap_usym_stacks, &tap_zero_key);
	long bytes;

	dst[0] = '\0';
	if (!k)
		return;
	bytes = bpf_get_stack(ctx, k->frames, sizeof(k->frames), BPF_F_USER_STACK);
	k->depth = bytes > 0 ? (__u64)bytes / 8 : 0;
	k->len = 0;
	k->out[0] = '\0';
	bpf_loop(MAXBACKTRACE, tap_usym_frame, NULL, 0);
	bpf_probe_read_kernel(dst, MAXSTRINGLEN, k->out);
	dst[MAXSTRINGLEN - 1] = '\0';
}

#endif /* TAP_USYMS_K_H */
