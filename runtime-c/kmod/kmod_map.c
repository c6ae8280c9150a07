// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Script arrays as hash tables with preallocated entries (no allocation in
 * probe context) and one lock per table, taken with interrupts off since
 * handlers run in any context. An unsized array holds MAXMAPENTRIES
 * (module parameter, taprun -D) entries, `global a[N]` N.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include "kmod_rt.h"

struct htab {
	spinlock_t lock;
	u32 max, nbuckets;
	size_t ksize, vsize, voff, esize;
	const struct tap_stat_desc *stat;	/* statistics: per-CPU values */
	size_t stride;		/* statistics: bytes of one CPU's accumulator */
	u32 *heads;		/* entry index + 1, 0: empty bucket */
	u32 *next;		/* chain and free list, index + 1 */
	u32 free;
	char *entries;		/* key, padding to 8, value */
};

static struct htab *tabs;
static int ntabs;

static struct htab *tab_of(struct tap_map *m)
{
	return m->fd >= 0 && m->fd < ntabs ? &tabs[m->fd] : NULL;
}

static char *entry(struct htab *t, u32 i)
{
	return t->entries + (size_t)i * t->esize;
}

static void reset(struct htab *t)
{
	u32 i;

	memset(t->heads, 0, t->nbuckets * sizeof(u32));
	for (i = 0; i < t->max; i++)
		t->next[i] = i + 2 <= t->max ? i + 2 : 0;
	t->free = t->max ? 1 : 0;
}

int tap_maps_init(void)
{
	const struct tap_module *m = &tap_module;
	int i;

	tabs = kcalloc(m->nmaps ? m->nmaps : 1, sizeof(*tabs), GFP_KERNEL);
	if (!tabs)
		return -ENOMEM;
	ntabs = m->nmaps;
	for (i = 0; i < m->nmaps; i++) {
		struct tap_map *map = m->maps[i];
		struct htab *t = &tabs[i];

		spin_lock_init(&t->lock);
		t->max = map->max_entries ? map->max_entries : tap_maxmapentries;
		t->nbuckets = roundup_pow_of_two(max(t->max, 1u));
		t->ksize = map->key_size;
		t->stat = map->stat;
		t->stride = ALIGN(map->value_size, 8);
		t->vsize = t->stat ? t->stride * nr_cpu_ids : map->value_size;
		t->voff = ALIGN(t->ksize, 8);
		t->esize = t->voff + t->vsize;
		t->heads = kvcalloc(t->nbuckets, sizeof(u32), GFP_KERNEL);
		t->next = kvcalloc(max(t->max, 1u), sizeof(u32), GFP_KERNEL);
		t->entries = vzalloc(max((size_t)t->max * t->esize, (size_t)1));
		if (!t->heads || !t->next || !t->entries)
			return -ENOMEM;
		reset(t);
		map->fd = i;
	}
	return 0;
}

void tap_maps_free(void)
{
	int i;

	for (i = 0; tabs && i < ntabs; i++) {
		kvfree(tabs[i].heads);
		kvfree(tabs[i].next);
		vfree(tabs[i].entries);
	}
	kfree(tabs);
	tabs = NULL;
	ntabs = 0;
}

static u32 bucket(struct htab *t, const void *k)
{
	return jhash(k, t->ksize, 0) & (t->nbuckets - 1);
}

/* Index + 1 of the key's entry, 0 if absent; *prev: its predecessor link. */
static u32 find(struct htab *t, const void *k, u32 **link)
{
	u32 *l = &t->heads[bucket(t, k)];

	while (*l && memcmp(entry(t, *l - 1), k, t->ksize))
		l = &t->next[*l - 1];
	if (link)
		*link = l;
	return *l;
}

/* Finds or inserts (value zeroed); 0 when the table is full. */
static u32 find_or_insert(struct htab *t, const void *k)
{
	u32 *link, i = find(t, k, &link);

	if (i || !t->free)
		return i;
	i = t->free;
	t->free = t->next[i - 1];
	t->next[i - 1] = 0;
	*link = i;
	memcpy(entry(t, i - 1), k, t->ksize);
	memset(entry(t, i - 1) + t->voff, 0, t->vsize);
	return i;
}

int tap_map_get(struct tap_map *m, const void *k, void *v)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 i;

	if (!t) {
		memset(v, 0, m->value_size);
		return 0;
	}
	spin_lock_irqsave(&t->lock, flags);
	i = find(t, k, NULL);
	if (i)
		memcpy(v, entry(t, i - 1) + t->voff, t->vsize);
	else
		memset(v, 0, t->vsize);
	spin_unlock_irqrestore(&t->lock, flags);
	return i != 0;
}

int tap_map_set(struct tap_map *m, const void *k, const void *v)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 i;

	if (!t)
		return TAP_E_MAP_FULL;
	spin_lock_irqsave(&t->lock, flags);
	i = find_or_insert(t, k);
	if (i)
		memcpy(entry(t, i - 1) + t->voff, v, t->vsize);
	spin_unlock_irqrestore(&t->lock, flags);
	return i ? 0 : TAP_E_MAP_FULL;
}

int tap_map_add(struct tap_map *m, const void *k, tap_long delta, tap_long *res)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	tap_long val;
	u32 i;

	if (!t)
		return TAP_E_MAP_FULL;
	spin_lock_irqsave(&t->lock, flags);
	i = find_or_insert(t, k);
	if (i) {
		char *p = entry(t, i - 1) + t->voff;

		memcpy(&val, p, sizeof(val));
		val = (tap_long)((__u64)val + (__u64)delta);	/* wraps */
		memcpy(p, &val, sizeof(val));
		if (res)
			*res = val;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return i ? 0 : TAP_E_MAP_FULL;
}

int tap_map_exists(struct tap_map *m, const void *k)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 i;

	if (!t)
		return 0;
	spin_lock_irqsave(&t->lock, flags);
	i = find(t, k, NULL);
	spin_unlock_irqrestore(&t->lock, flags);
	return i != 0;
}

void tap_map_delete(struct tap_map *m, const void *k)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 *link, i;

	if (!t)
		return;
	spin_lock_irqsave(&t->lock, flags);
	i = find(t, k, &link);
	if (i) {
		*link = t->next[i - 1];
		t->next[i - 1] = t->free;
		t->free = i;
	}
	spin_unlock_irqrestore(&t->lock, flags);
}

void tap_map_clear(struct tap_map *m)
{
	struct htab *t = tab_of(m);
	unsigned long flags;

	if (!t)
		return;
	spin_lock_irqsave(&t->lock, flags);
	reset(t);
	spin_unlock_irqrestore(&t->lock, flags);
}

/* ---- statistics ---- */

int tap_stat_add_key(struct tap_map *m, const void *k, tap_long val)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 i;

	if (!t || !t->stat)
		return TAP_E_MAP_FULL;
	spin_lock_irqsave(&t->lock, flags);
	i = find_or_insert(t, k);
	if (i)	/* the lock keeps us on this CPU */
		tap_stat_add(t->stat, (struct tap_stat_data *)(entry(t, i - 1) +
			     t->voff + raw_smp_processor_id() * t->stride), val);
	spin_unlock_irqrestore(&t->lock, flags);
	return i ? 0 : TAP_E_MAP_FULL;
}

/*
 * Combines the CPUs' accumulators of one entry as stap does: a scalar
 * statistic (keyed by a u32 0) with stat.c's one-shot formula, an element of
 * a statistics array pairwise as map.c does (their @variance rounds apart).
 */
static void combine_stat(struct htab *t, struct tap_stat_data *agg,
			 const void *percpu)
{
	if (t->ksize == sizeof(u32))
		tap_stat_aggregate(t->stat, agg, percpu, nr_cpu_ids, t->stride);
	else
		tap_stat_aggregate_keyed(t->stat, agg, percpu, nr_cpu_ids,
					 t->stride);
}

int tap_stat_get(struct tap_map *m, const void *k, void *agg)
{
	struct htab *t = tab_of(m);
	unsigned long flags;
	u32 i = 0;

	memset(agg, 0, m->value_size);
	if (!t || !t->stat)
		return 0;
	spin_lock_irqsave(&t->lock, flags);
	i = find(t, k, NULL);
	if (i)
		combine_stat(t, agg, entry(t, i - 1) + t->voff);
	spin_unlock_irqrestore(&t->lock, flags);
	return i && ((struct tap_stat_data *)agg)->count;
}

/* ---- foreach ---- */

/* One snapshot entry: the key, then the value (statistics: combined). */
static void copy_entry(struct htab *t, char *dst, const char *src)
{
	memcpy(dst, src, t->ksize);
	if (t->stat)
		combine_stat(t, (struct tap_stat_data *)(dst + t->voff),
			     src + t->voff);
	else
		memcpy(dst + t->voff, src + t->voff, t->vsize);
}

struct sort_ctx {
	tap_entry_cmp cmp;
	size_t voff;
};

static int cmp_entries(const void *a, const void *b, const void *priv)
{
	const struct sort_ctx *s = priv;

	return s->cmp(a, (const char *)a + s->voff, b, (const char *)b + s->voff);
}

/*
 * Session probes (the worker) may allocate the snapshot freely; a
 * kernel-side handler gets an atomic allocation or an empty loop.
 */
int tap_foreach_begin(struct tap_iter *it, struct tap_map *m,
		      tap_entry_cmp cmp, tap_long limit)
{
	struct htab *t = tab_of(m);
	bool may_sleep = current == tap_rt.worker && preemptible();
	unsigned long flags;
	size_t bytes, esnap, n = 0;
	u32 b, i;

	memset(it, 0, sizeof(*it));
	if (!t || !t->max)
		return 0;
	/* statistics are combined over CPUs into one value per key */
	esnap = t->voff + (t->stat ? m->value_size : t->vsize);
	bytes = (size_t)t->max * esnap;
	it->entries = may_sleep ? kvmalloc(bytes, GFP_KERNEL) :
				  kmalloc(bytes, GFP_ATOMIC | __GFP_NOWARN);
	if (!it->entries)
		return -ENOMEM;
	spin_lock_irqsave(&t->lock, flags);
	for (b = 0; b < t->nbuckets; b++)
		for (i = t->heads[b]; i; i = t->next[i - 1])
			copy_entry(t, it->entries + n++ * esnap, entry(t, i - 1));
	spin_unlock_irqrestore(&t->lock, flags);
	it->entry_size = esnap;
	it->key_size = t->ksize;
	it->count = n;
	if (cmp) {
		struct sort_ctx s = { cmp, t->voff };

		sort_r(it->entries, n, esnap, cmp_entries, NULL, &s);
	}
	if (limit > 0 && (size_t)limit < it->count)
		it->count = limit;
	return 0;
}

int tap_foreach_next(struct tap_iter *it, void *k, void *v)
{
	const char *e;
	size_t voff = ALIGN(it->key_size, 8);

	if (it->next >= it->count)
		return 0;
	e = it->entries + it->next++ * it->entry_size;
	memcpy(k, e, it->key_size);
	if (v)
		memcpy(v, e + voff, it->entry_size - voff);
	return 1;
}

void tap_foreach_end(struct tap_iter *it)
{
	kvfree(it->entries);
	it->entries = NULL;
	it->count = it->next = 0;
}
