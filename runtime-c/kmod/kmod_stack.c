// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel stacks on kmod: print_backtrace(), backtrace() (stap's string of
 * hex addresses) and print_stack()/sprint_stack() (the frames of such a
 * string), each frame as stap prints it:
 * " 0xffffffff81234567 : vfs_read+0x0/0x1a0 [kernel]"; sprint_backtrace()
 * in stap's simple form ("vfs_read+0x0 [kernel]"), callers(n) and
 * stack(n), the first frames and one frame of the same. A kprobe's stack
 * is unwound from its registers (the probed instruction first); elsewhere
 * from the handler, leaving out this module's own frames. Included after
 * kmod_session.c (kctx_of, stage_flush).
 */
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <asm/unwind.h>

/* The kernel stack of the running probe into entries; how many. */
static unsigned int save_stack(struct tap_context *c, unsigned long *entries, unsigned int max)
{
	struct pt_regs *regs = tap_regs(c);
	struct unwind_state state;
	unsigned int n = 0;

	if (regs && user_mode(regs))
		return 0;	/* a uprobe: no kernel stack */
	/* the probed instruction: the unwinder starts at the frame that called it (as arch_stack_walk) */
	if (regs && max)
		entries[n++] = instruction_pointer(regs);
	for (unwind_start(&state, current, regs, NULL); !unwind_done(&state) && n < max;
	     unwind_next_frame(&state)) {
		unsigned long addr = unwind_get_return_address(&state);

		if (!addr)
			break;
		if (!regs && within_module(addr, THIS_MODULE))
			continue;
		entries[n++] = addr;
	}
	return n;
}

/* One frame as stap's print_backtrace() and print_stack() print it. */
static void put_frame(struct tap_buf *b, unsigned long addr)
{
	char sym[KSYM_SYMBOL_LEN], line[KSYM_SYMBOL_LEN + 48];
	int n;

	sprint_symbol(sym, addr);
	if (!strchr(sym, '+'))
		n = scnprintf(line, sizeof(line), " 0x%016lx\n", addr);
	else
		n = scnprintf(line, sizeof(line), " 0x%016lx : %s%s\n", addr, sym,
			      strchr(sym, '[') ? "" : " [kernel]");
	tap_buf_put(b, line, n);
}

void tap_print_backtrace(struct tap_context *c)
{
	struct tap_kctx *k = kctx_of(c);
	unsigned long entries[MAXBACKTRACE];
	unsigned int n = save_stack(c, entries, MAXBACKTRACE), i;
	struct tap_buf b;

	tap_buf_init(&b, k->stage, sizeof(k->stage));
	b.flush = stage_flush;
	for (i = 0; i < n; i++)
		put_frame(&b, entries[i]);
	stage_flush(&b);
}

/* stap's string of hex addresses ("0xffffffff81234567 0x..."), cut at MAXSTRINGLEN */
static void hex_frames(char *dst, const unsigned long *entries, unsigned int n)
{
	size_t len = 0;
	unsigned int i;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		char one[24];
		int m = scnprintf(one, sizeof(one), i ? " 0x%lx" : "0x%lx", entries[i]);

		if (len + m >= MAXSTRINGLEN)
			break;
		memcpy(dst + len, one, m + 1);
		len += m;
	}
}

void tap_backtrace(struct tap_context *c, char *dst)
{
	unsigned long entries[MAXBACKTRACE];

	hex_frames(dst, entries, save_stack(c, entries, MAXBACKTRACE));
}

/* The addresses of a backtrace() string, one by one; 0 at its end. */
static unsigned long next_address(const char **p)
{
	unsigned long long addr;
	char *end;

	addr = simple_strtoull(*p, &end, 16);
	if (end == *p)
		return 0;
	*p = end + strspn(end, " ");
	return addr;
}

void tap_print_stack(struct tap_context *c, const char *stk)
{
	struct tap_kctx *k = kctx_of(c);
	unsigned long addr;
	struct tap_buf b;

	tap_buf_init(&b, k->stage, sizeof(k->stage));
	b.flush = stage_flush;
	while ((addr = next_address(&stk)))
		put_frame(&b, addr);
	stage_flush(&b);
}

/* As stap's sprint_syms(): whole lines, as many as MAXSTRINGLEN holds. */
void tap_sprint_stack(char *dst, const char *stk)
{
	unsigned long addr;
	size_t len = 0;

	dst[0] = '\0';
	while ((addr = next_address(&stk))) {
		char line[KSYM_SYMBOL_LEN + 48];
		struct tap_buf b;

		tap_buf_init(&b, line, sizeof(line) - 1);
		put_frame(&b, addr);
		if (len + b.len >= MAXSTRINGLEN)
			break;
		memcpy(dst + len, line, b.len);
		len += b.len;
		dst[len] = '\0';
	}
}

/*
 * One frame as stap's sprint_backtrace() writes it (its _STP_SYM_SIMPLE):
 * "vfs_read+0x5 [kernel]\n", a module's "name+0x5 [mod]\n", an address
 * without a symbol as it is. Into line; its length.
 */
static int simple_frame(char *line, size_t size, unsigned long addr)
{
	char sym[KSYM_SYMBOL_LEN], *slash, *mod;

	sprint_symbol(sym, addr);
	slash = strchr(sym, '/');
	if (!strchr(sym, '+') || !slash)
		return scnprintf(line, size, "0x%016lx\n", addr);
	mod = strchr(slash, ' ');
	*slash = '\0';
	return scnprintf(line, size, "%s%s\n", sym, mod ? mod : " [kernel]");
}

/* sprint_backtrace(): whole lines, as many as MAXSTRINGLEN holds (as sprint_stack) */
void tap_sprint_backtrace(struct tap_context *c, char *dst)
{
	unsigned long entries[MAXBACKTRACE];
	unsigned int n = save_stack(c, entries, MAXBACKTRACE), i;
	size_t len = 0;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		char line[KSYM_SYMBOL_LEN + 16];
		int m = simple_frame(line, sizeof(line), entries[i]);

		if (len + m >= MAXSTRINGLEN)
			break;
		memcpy(dst + len, line, m + 1);
		len += m;
	}
}

/*
 * callers(n) and ucallers(n): the first n + 1 frames of `entries` (the
 * depth of them; n = -1: all), cut at MAXSTRINGLEN as stap's; -1 where
 * the stack is shallower.
 */
static int first_frames(char *dst, const unsigned long *entries, unsigned int depth, tap_long n)
{
	dst[0] = '\0';
	if (n >= 0 && n >= depth)
		return -1;
	hex_frames(dst, entries, n < 0 ? depth : n + 1);
	return 0;
}

int tap_callers(struct tap_context *c, char *dst, tap_long n)
{
	unsigned long entries[MAXBACKTRACE];

	return first_frames(dst, entries, save_stack(c, entries, MAXBACKTRACE), n);
}

/* stack(n) and ustack(n): the frame at depth n (0: the probed instruction) into *addr; -1 where there is none */
static int frame_at(const unsigned long *entries, unsigned int depth, tap_long n, tap_long *addr)
{
	if (n < 0 || n >= depth)
		return -1;
	*addr = (tap_long)entries[n];
	return 0;
}

int tap_stack_at(struct tap_context *c, tap_long n, tap_long *addr)
{
	unsigned long entries[MAXBACKTRACE];

	return frame_at(entries, save_stack(c, entries, MAXBACKTRACE), n, addr);
}

/* symdata(addr): "name+0x12/0x80 [kernel]" ([module] for a module's), "0x..." where none */
void tap_symdata(char *dst, tap_long addr)
{
	char sym[KSYM_SYMBOL_LEN];

	sprint_symbol(sym, (unsigned long)addr);
	scnprintf(dst, MAXSTRINGLEN, "%s%s", sym, !strchr(sym, '+') || strchr(sym, '[') ? "" : " [kernel]");
}

/* modname(addr): "kernel" or the module's name; nonzero where no symbol holds addr */
int tap_modname(char *dst, tap_long addr)
{
	char sym[KSYM_SYMBOL_LEN], *open, *close;

	sprint_symbol(sym, (unsigned long)addr);
	if (!strchr(sym, '+')) {
		dst[0] = '\0';
		return 1;
	}
	open = strrchr(sym, '[');
	close = open ? strchr(open, ']') : NULL;
	if (close)
		*close = '\0';
	strscpy(dst, open ? open + 1 : "kernel", MAXSTRINGLEN);
	return 0;
}
