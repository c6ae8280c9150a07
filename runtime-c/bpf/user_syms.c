// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A sorted table of /proc/kallsyms, read once, on the first backtrace.
 * A symbol's size is the distance to the next higher address, the way
 * stap's symbol tables come out for the kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap_format.h"
#include "user_syms.h"

struct ksym {
	__u64 addr;
	char *name;
	char *module;		/* "kernel" or the module name */
};

static struct ksym *syms;
static size_t nsyms;
static int loaded;

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x < y ? -1 : x > y;	/* keep file order for aliases */
}

static void load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	size_t cap = 0;
	char line[512];

	loaded = 1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[256], module[128] = "kernel", type;
		unsigned long long addr;
		int n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			       module);

		if (n < 3 || !addr || !strchr("TtWw", type))
			continue;
		if (nsyms == cap) {
			struct ksym *more;

			cap = cap ? 2 * cap : 65536;
			more = realloc(syms, cap * sizeof(*syms));
			if (!more)
				break;
			syms = more;
		}
		syms[nsyms].addr = addr;
		syms[nsyms].name = strdup(name);
		syms[nsyms].module = strcmp(module, "kernel") ? strdup(module) : "kernel";
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
}

/* The last symbol at or below addr, or NULL. */
static const struct ksym *lookup(__u64 addr, __u64 *size)
{
	size_t lo = 0, hi = nsyms, next;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	for (next = lo; next < nsyms && syms[next].addr == syms[lo - 1].addr; next++)
		;
	*size = next < nsyms ? syms[next].addr - syms[lo - 1].addr : 0;
	/* the first of several names at one address */
	while (lo > 1 && syms[lo - 2].addr == syms[lo - 1].addr)
		lo--;
	return &syms[lo - 1];
}

const char *tap_kernel_symbol(__u64 addr)
{
	const struct ksym *s;
	__u64 size = 0;

	if (!loaded)
		load();
	s = lookup(addr, &size);
	return s && size && addr - s->addr < size ? s->name : NULL;
}

void tap_print_kernel_frame(struct tap_buf *o, __u64 addr)
{
	const struct ksym *s;
	__u64 size = 0;

	if (!loaded)
		load();
	s = lookup(addr, &size);
	if (s && size && addr - s->addr < size) {
		struct tap_value v[5] = {
			{ (long long)addr, NULL }, { 0, s->name },
			{ (long long)(addr - s->addr), NULL }, { (long long)size, NULL },
			{ 0, s->module },
		};

		tap_format(o, TAP_STREAM_FIELD_MAX, " %p : %s+%#lx/%#lx [%s]\n", v, 5);
	} else {
		struct tap_value v = { (long long)addr, NULL };

		tap_format(o, TAP_STREAM_FIELD_MAX, " %p\n", &v, 1);
	}
}

void tap_print_stack_string(struct tap_buf *o, const char *stk)
{
	const char *p = stk;
	char *end;

	for (;;) {
		unsigned long long addr = strtoull(p, &end, 16);

		if (end == p)
			break;
		tap_print_kernel_frame(o, addr);
		p = end + strspn(end, " ");
	}
}

int tap_kernel_symdata(char *dst, size_t max, __u64 addr)
{
	const struct ksym *s;
	__u64 size = 0;

	if (!loaded)
		load();
	s = lookup(addr, &size);
	if (!s || !size || addr - s->addr >= size) {
		snprintf(dst, max, "0x%llx", (unsigned long long)addr);
		return 1;
	}
	snprintf(dst, max, "%s+0x%llx/0x%llx [%s]", s->name,
		 (unsigned long long)(addr - s->addr), (unsigned long long)size, s->module);
	return 0;
}
