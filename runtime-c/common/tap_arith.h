/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signed 64-bit division as stap does it (_stp_div64/_stp_mod64: truncate
 * toward zero, x / -1 == -x without trapping). Built from unsigned
 * operations because clang 14 cannot emit signed division for BPF. The
 * caller checks for a zero divisor first (to raise TAP_E_DIV0).
 */
#ifndef TAP_ARITH_H
#define TAP_ARITH_H

static inline __u64 tap_abs64(__s64 v)
{
	return v < 0 ? (__u64)0 - (__u64)v : (__u64)v;
}

static inline __s64 tap_div64(__s64 x, __s64 y)
{
	__u64 q;

	if (y == 0)
		return 0;
	q = tap_abs64(x) / tap_abs64(y);
	return (x < 0) != (y < 0) ? (__s64)((__u64)0 - q) : (__s64)q;
}

static inline __s64 tap_mod64(__s64 x, __s64 y)
{
	__u64 r;

	if (y == 0)
		return 0;
	r = tap_abs64(x) % tap_abs64(y);
	return x < 0 ? (__s64)((__u64)0 - r) : (__s64)r;
}

#endif /* TAP_ARITH_H */
