/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The 128-bit hash that names a warm runner's socket and fingerprints an
 * environment: the same function as cli/warm/hash.ts, byte for byte.
 */
#ifndef TAPFLEET_WARM_HASH128_H
#define TAPFLEET_WARM_HASH128_H

#include <stddef.h>
#include <stdint.h>

struct hash128 {
	uint32_t lane[4];
	uint32_t count;		/* bytes hashed so far (lane 3 mixes it in) */
};

void hash128_init(struct hash128 *h);
void hash128_update(struct hash128 *h, const void *data, size_t len);
/* 32 hex digits and a NUL. */
void hash128_hex(const struct hash128 *h, char out[33]);

#endif /* TAPFLEET_WARM_HASH128_H */
