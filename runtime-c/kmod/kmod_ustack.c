// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * User stacks on kmod: print_ubacktrace() (and its brief form),
 * ubacktrace(), sprint_ubacktrace(), print_ustack()/sprint_ustack() of a
 * ubacktrace() string, ucallers(n), ustack(n), usymname(), usymdata() and
 * umodname(), in the current task.
 *
 * The stack is walked by its frame pointers from the task's user
 * registers (a uprobe's own, else those saved at its entry to the kernel),
 * as perf's user callchain and so the bpf runtime's bpf_get_stack() walk
 * it: code built without frame pointers gives its first frame and stops.
 *
 * A frame is named as the bpf runtime's taprun names it
 * (" 0x55d0c0a5f149 : inner+0x0/0x18 [/usr/bin/prog]"): the file mapped
 * at the address and the offset in it from the task's mappings, the
 * symbol from the tables the module carries for the files its script
 * probes and those -d names (as stap's), else
 * " 0xADDR [FILE+0xOFF]". The mappings need the task's mmap lock, taken
 * only by trylock, once for a whole stack; with interrupts off (a
 * timer.profile sample, a tracepoint in the scheduler) its unlock is left
 * to an irq_work, as the kernel's BPF stack maps do: unlocking may wake a
 * waiting writer, which takes a run queue's lock the probed code may hold.
 * Where the lock is not to be had, a frame is its bare address. Included
 * after kmod_stack.c (hex_frames, kctx_of, stage_flush).
 */
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/task_stack.h>

/* The registers of the task's user code at the probe; NULL in a kernel thread. */
static struct pt_regs *user_regs(struct tap_context *c)
{
	struct pt_regs *regs = tap_regs(c);

	if (regs && user_mode(regs))
		return regs;
	if (!current->mm || (current->flags & PF_KTHREAD))
		return NULL;
	return task_pt_regs(current);
}

/* The user stack of the current task into entries; how many. */
static unsigned int save_ustack(struct tap_context *c, unsigned long *entries, unsigned int max)
{
	struct pt_regs *regs = user_regs(c);
	unsigned long fp, frame[2];
	unsigned int n = 0;

	if (!regs || !max)
		return 0;
	entries[n++] = instruction_pointer(regs);
	/*
	 * At a function's first instruction its frame is not made yet: the
	 * return address is on top of the stack and bp is still the caller's
	 * (as the kernel's perf callchain does at such uprobes since 6.11).
	 */
	if (kctx_of(c)->func_entry && regs == tap_regs(c) && n < max &&
	    !copy_from_user_nofault(frame, (const void __user *)regs->sp, sizeof(frame[0])) && frame[0])
		entries[n++] = frame[0];
	fp = regs->bp;
	while (n < max) {
		if (!fp || (fp & 7) || fp >= TASK_SIZE_MAX - sizeof(frame) ||
		    copy_from_user_nofault(frame, (const void __user *)fp, sizeof(frame)) ||
		    !frame[1])
			break;
		entries[n++] = frame[1];
		if (frame[0] <= fp)	/* frames go up the stack, or it is not a chain */
			break;
		fp = frame[0];
	}
	return n;
}

/* Weak: a module written by hand against the runtime (the tests' fixtures) may have no tables */
extern const struct tap_ufile tap_kmod_ufiles[] __weak;
extern const unsigned int tap_kmod_nufiles __weak;

/* Where a user address is: the mapped file's path, the offset in it, the symbol there (if the module has its table). */
struct uplace {
	const char *path;
	unsigned long off;
	const struct tap_usym *sym;
	char buf[256];
};

static const struct tap_usym *lookup_usym(const char *path, unsigned long off)
{
	unsigned int f;

	if (!&tap_kmod_nufiles || !tap_kmod_ufiles)
		return NULL;
	for (f = 0; f < tap_kmod_nufiles; f++) {
		const struct tap_ufile *u = &tap_kmod_ufiles[f];
		unsigned int lo = 0, hi = u->n;

		if (strcmp(u->path, path))
			continue;
		while (lo < hi) {	/* the last symbol starting at or before off */
			unsigned int mid = lo + (hi - lo) / 2;

			if (u->syms[mid].start <= off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && off - u->syms[lo - 1].start < u->syms[lo - 1].size)
			return &u->syms[lo - 1];
		return NULL;
	}
	return NULL;
}

/* The deferred unlock of a CPU's mappings lock (see above) */
struct umaps_unlock {
	struct irq_work work;
	struct mm_struct *mm;
};

static void umaps_unlock_fn(struct irq_work *w)
{
	mmap_read_unlock(container_of(w, struct umaps_unlock, work)->mm);
}

/* set up by tap_ustack_init(): a module's per-CPU initial values are not applied (seen: a NULL func) */
static DEFINE_PER_CPU(struct umaps_unlock, umaps_unlocks);

void tap_ustack_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		*per_cpu_ptr(&umaps_unlocks, cpu) = (struct umaps_unlock){ .work = IRQ_WORK_INIT_HARD(umaps_unlock_fn) };
}

/* The current task's mappings, read-locked; NULL where they cannot be now. */
static struct mm_struct *umaps_lock(void)
{
	struct mm_struct *mm = current->mm;

	if (!mm || in_nmi())
		return NULL;
	/* this CPU's last deferred unlock has not run: the lock is still ours */
	if (irqs_disabled() && irq_work_is_busy(&this_cpu_ptr(&umaps_unlocks)->work))
		return NULL;
	return mmap_read_trylock(mm) ? mm : NULL;
}

static void umaps_unlock(struct mm_struct *mm)
{
	struct umaps_unlock *u;

	if (!mm)
		return;
	if (!irqs_disabled()) {
		mmap_read_unlock(mm);
		return;
	}
	u = this_cpu_ptr(&umaps_unlocks);
	u->mm = mm;
	irq_work_queue(&u->work);
}

/* At unload, after the probes: no deferred unlock may run the module's code later */
void tap_ustack_cleanup(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(&umaps_unlocks, cpu)->work);
}

/* With mm locked (umaps_lock()), where addr is; false where nothing is mapped there from a file. */
static bool place_of(struct mm_struct *mm, unsigned long addr, struct uplace *p)
{
	struct vm_area_struct *vma;

	p->path = NULL;
	p->sym = NULL;
	if (!mm)
		return false;
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && vma->vm_file) {
		char *path = d_path(&vma->vm_file->f_path, p->buf, sizeof(p->buf));

		if (!IS_ERR(path)) {
			p->path = path;
			p->off = addr - vma->vm_start + (vma->vm_pgoff << PAGE_SHIFT);
			p->sym = lookup_usym(path, p->off);
			return true;
		}
	}
	return false;
}

/*
 * One frame: print_ubacktrace()'s " 0xADDR : name+0xOFF/0xSIZE [FILE]",
 * brief "name+0xOFF", or sprint_ubacktrace()'s simple "name+0xOFF [FILE]";
 * without a symbol " 0xADDR [FILE+0xOFF]" (simple: "0xADDR [FILE+0xOFF]"),
 * without a file the address alone. usymdata()'s is the full form
 * without the address and the line's end.
 */
enum uform { UFORM_FULL, UFORM_BRIEF, UFORM_SIMPLE, UFORM_DATA };

static void put_uframe(struct tap_buf *b, struct mm_struct *mm, unsigned long addr, enum uform form)
{
	struct uplace *p = kmalloc(sizeof(*p), GFP_ATOMIC);
	struct tap_value v[5] = { { (long long)addr, NULL } };

	if (p && place_of(mm, addr, p) && p->sym) {
		/* the symbol, the offset in it, the file; then its size */
		v[1].s = p->sym->name;
		v[2].n = (long long)(p->off - p->sym->start);
		v[3].s = p->path;
		v[4].n = (long long)p->sym->size;
		if (form == UFORM_BRIEF)
			tap_format(b, TAP_STREAM_FIELD_MAX, "%s+%#lx\n", v + 1, 2);
		else if (form == UFORM_SIMPLE)
			tap_format(b, TAP_STREAM_FIELD_MAX, "%s+%#lx [%s]\n", v + 1, 3);
		else if (form == UFORM_DATA)
			tap_format(b, TAP_STREAM_FIELD_MAX, "%s+%#lx/%#lx [%s]",
				   (struct tap_value[]){ v[1], v[2], v[4], v[3] }, 4);
		else
			tap_format(b, TAP_STREAM_FIELD_MAX, " %p : %s+%#lx/%#lx [%s]\n",
				   (struct tap_value[]){ v[0], v[1], v[2], v[4], v[3] }, 5);
	} else if (p && p->path && form != UFORM_BRIEF) {
		v[1].s = p->path;
		v[2].n = (long long)p->off;
		tap_format(b, TAP_STREAM_FIELD_MAX, form == UFORM_FULL ? " %p [%s+%#lx]\n" :
			   form == UFORM_DATA ? "%p [%s+%#lx]" : "%p [%s+%#lx]\n", v, 3);
	} else {
		tap_format(b, TAP_STREAM_FIELD_MAX, form == UFORM_FULL ? " %p\n" : form == UFORM_DATA ? "%p" : "%p\n", v, 1);
	}
	kfree(p);
}

void tap_ustack_at_function_entry(struct tap_context *c)
{
	kctx_of(c)->func_entry = true;
}

/* Frames, named in `form`, to the output, as print_backtrace() prints its own */
static void print_uframes(struct tap_context *c, const unsigned long *entries, unsigned int n, enum uform form)
{
	struct tap_kctx *k = kctx_of(c);
	struct mm_struct *mm = umaps_lock();
	struct tap_buf b;
	unsigned int i;

	tap_buf_init(&b, k->stage, sizeof(k->stage));
	b.flush = stage_flush;
	for (i = 0; i < n; i++)
		put_uframe(&b, mm, entries[i], form);
	umaps_unlock(mm);
	stage_flush(&b);
}

void tap_print_ubacktrace(struct tap_context *c, int brief)
{
	unsigned long entries[MAXBACKTRACE];

	print_uframes(c, entries, save_ustack(c, entries, MAXBACKTRACE), brief ? UFORM_BRIEF : UFORM_FULL);
}

void tap_ubacktrace(struct tap_context *c, char *dst)
{
	unsigned long entries[MAXBACKTRACE];

	hex_frames(dst, entries, save_ustack(c, entries, MAXBACKTRACE));
}

int tap_ucallers(struct tap_context *c, char *dst, tap_long n)
{
	unsigned long entries[MAXBACKTRACE];

	return first_frames(dst, entries, save_ustack(c, entries, MAXBACKTRACE), n);
}

int tap_ustack_at(struct tap_context *c, tap_long n, tap_long *addr)
{
	unsigned long entries[MAXBACKTRACE];

	return frame_at(entries, save_ustack(c, entries, MAXBACKTRACE), n, addr);
}

/* Frames, named in `form`, into dst: whole lines, as many as MAXSTRINGLEN holds. */
static void sprint_uframes(char *dst, const unsigned long *entries, unsigned int n, enum uform form)
{
	struct mm_struct *mm = umaps_lock();
	size_t len = 0;
	unsigned int i;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		char line[384];
		struct tap_buf b;

		tap_buf_init(&b, line, sizeof(line) - 1);
		put_uframe(&b, mm, entries[i], form);
		if (len + b.len >= MAXSTRINGLEN)
			break;
		memcpy(dst + len, line, b.len);
		len += b.len;
		dst[len] = '\0';
	}
	umaps_unlock(mm);
}

void tap_sprint_ubacktrace(struct tap_context *c, char *dst)
{
	unsigned long entries[MAXBACKTRACE];

	sprint_uframes(dst, entries, save_ustack(c, entries, MAXBACKTRACE), UFORM_SIMPLE);
}

/* The addresses of a ubacktrace() string */
static unsigned int parse_frames(const char *stk, unsigned long *entries, unsigned int max)
{
	unsigned int n = 0;
	unsigned long addr;

	while (n < max && (addr = next_address(&stk)))
		entries[n++] = addr;
	return n;
}

void tap_print_ustack(struct tap_context *c, const char *stk)
{
	unsigned long entries[MAXBACKTRACE];

	print_uframes(c, entries, parse_frames(stk, entries, MAXBACKTRACE), UFORM_FULL);
}

void tap_sprint_ustack(char *dst, const char *stk)
{
	unsigned long entries[MAXBACKTRACE];

	sprint_uframes(dst, entries, parse_frames(stk, entries, MAXBACKTRACE), UFORM_FULL);
}

/*
 * usymname(addr), usymdata(addr), umodname(addr): an address of the
 * current task, as print_ubacktrace() names it. usymname: the function,
 * else the address; usymdata: "name+0xOFF/0xSIZE [FILE]", else
 * "0xADDR [FILE+0xOFF]" or the address; umodname: the file mapped there,
 * -1 where none is (stap's "module cannot be found").
 */
void tap_usymname(char *dst, tap_long addr)
{
	struct uplace *p = kmalloc(sizeof(*p), GFP_ATOMIC);
	struct mm_struct *mm = umaps_lock();

	if (p && place_of(mm, (unsigned long)addr, p) && p->sym)
		strscpy(dst, p->sym->name, MAXSTRINGLEN);
	else
		snprintf(dst, MAXSTRINGLEN, "0x%llx", (unsigned long long)addr);
	umaps_unlock(mm);
	kfree(p);
}

void tap_usymdata(char *dst, tap_long addr)
{
	struct mm_struct *mm = umaps_lock();
	struct tap_buf b;

	tap_buf_init_string(&b, dst, MAXSTRINGLEN);
	put_uframe(&b, mm, (unsigned long)addr, UFORM_DATA);
	tap_buf_end_string(&b);
	umaps_unlock(mm);
}

int tap_umodname(char *dst, tap_long addr)
{
	struct uplace *p = kmalloc(sizeof(*p), GFP_ATOMIC);
	struct mm_struct *mm = umaps_lock();
	int found = p && place_of(mm, (unsigned long)addr, p);

	strscpy(dst, found ? p->path : "<unknown>", MAXSTRINGLEN);
	umaps_unlock(mm);
	kfree(p);
	return found ? 0 : -1;
}
