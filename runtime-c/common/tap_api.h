/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of the runtime API that generated code calls the same way on
 * every side that keeps arrays in tables it can walk: the bpf user side
 * (runtime-c/bpf/tap_user.h) and the kmod runtime (runtime-c/kmod/
 * tap_runtime.h). Each runtime implements these; the includer defines
 * tap_long, struct tap_map and struct tap_stat_data first.
 */
#ifndef TAP_API_H
#define TAP_API_H

/* ---- arrays ---- */

int tap_map_get(struct tap_map *m, const void *k, void *v);
int tap_map_set(struct tap_map *m, const void *k, const void *v);
int tap_map_add(struct tap_map *m, const void *k, tap_long delta, tap_long *res);
int tap_map_exists(struct tap_map *m, const void *k);
void tap_map_delete(struct tap_map *m, const void *k);
void tap_map_clear(struct tap_map *m);

#define TAP_MAP_GET(m, k, v) tap_map_get(&(m), (k), (v))
#define TAP_MAP_SET(m, k, v) tap_map_set(&(m), (k), (v))
#define TAP_MAP_ADD(m, k, delta, res) tap_map_add(&(m), (k), (delta), (res))
#define TAP_MAP_EXISTS(m, k) tap_map_exists(&(m), (k))
#define TAP_MAP_DELETE(m, k) tap_map_delete(&(m), (k))
#define TAP_MAP_CLEAR(m) tap_map_clear(&(m))

/* ---- statistics ---- */

int tap_stat_add_key(struct tap_map *m, const void *k, tap_long val);
/* Combines the CPUs' accumulators into *agg (a struct NAME_value); 0 when empty. */
int tap_stat_get(struct tap_map *m, const void *k, void *agg);

#define TAP_STAT_ADD(s, k, val) tap_stat_add_key(&(s), (k), (val))
#define TAP_STAT_GET(s, k, agg) tap_stat_get(&(s), (k), (agg))
#define TAP_AGG(agg) ((struct tap_stat_data *)(void *)(agg))

/* ---- foreach ---- */

/*
 * A snapshot of an array for foreach: entries are key bytes followed by
 * value bytes (statistics: the aggregate), sorted by `cmp` when non-NULL
 * (return <0, 0, >0 like strcmp; the generator composes +/- and columns),
 * at most `limit` of them when limit > 0.
 */
struct tap_iter {
	char *entries;
	size_t entry_size, key_size, count, next;
};

typedef int (*tap_entry_cmp)(const void *ka, const void *va,
			     const void *kb, const void *vb);

int tap_foreach_begin(struct tap_iter *it, struct tap_map *m,
		      tap_entry_cmp cmp, tap_long limit);
/* Copies the next key and value out; 0 at the end. */
int tap_foreach_next(struct tap_iter *it, void *k, void *v);
void tap_foreach_end(struct tap_iter *it);

/* Comparison helper for generated comparators. */
static inline int tap_cmp_long(tap_long a, tap_long b)
{
	return a < b ? -1 : a > b;
}

/* ---- context functions both implement out of line ---- */

/* ppid(), pexecname(): the real parent (the session's owner's in kmod's session probes) */
tap_long tap_ppid(void);
void tap_pexecname(char *dst);
tap_long tap_euid(void);
tap_long tap_egid(void);
/* pgrp(), sid(): the process group and session, in the initial pid namespace (as stap's) */
tap_long tap_pgrp(void);
tap_long tap_sid(void);
/* jiffies(): the kernel's jiffies_64 */
tap_long tap_jiffies(void);
/* num_online_cpus(): bpf, as taprun found them at its start */
tap_long tap_num_online_cpus(void);
tap_long tap_ktime_get_ns(void);
/*
 * local_clock_ns(), cpu_clock_ns(cpu), get_cycles(): kmod has the kernel's
 * own (the scheduler clock, the cycle counter); BPF has neither, so on bpf
 * all three are the monotonic clock in ns, on both sides.
 */
tap_long tap_local_clock_ns(void);
tap_long tap_cpu_clock_ns(tap_long cpu);
tap_long tap_get_cycles(void);
/* cpu_clock_ns()'s check: cpu is online (bpf: below taprun's count of them) */
int tap_cpu_online(tap_long cpu);
/* randint(n), 0 < n <= 2**20 (the generator checks) */
tap_long tap_randint(tap_long n);
/* symname(addr): the kernel function's name, or 0x... where none is */
void tap_symname(char *dst, tap_long addr);

#endif /* TAP_API_H */
