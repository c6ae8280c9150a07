// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include "hash128.h"

#define FNV_PRIME 0x01000193u

void hash128_init(struct hash128 *h)
{
	h->lane[0] = 0x811c9dc5u;
	h->lane[1] = 0x9e3779b9u ^ FNV_PRIME;
	h->lane[2] = 0x85ebca6bu;
	h->lane[3] = 0xc2b2ae35u;
	h->count = 0;
}

void hash128_update(struct hash128 *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++, h->count++) {
		uint32_t x = p[i];

		h->lane[0] = (h->lane[0] ^ x) * FNV_PRIME;
		h->lane[1] = ((h->lane[1] ^ x) * FNV_PRIME) ^ (h->lane[1] >> 13);
		h->lane[2] = (h->lane[2] ^ x) * 0x0100019du;
		h->lane[3] = (h->lane[3] ^ ((x + h->count) & 0xff)) * FNV_PRIME;
	}
}

static uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

void hash128_hex(const struct hash128 *h, char out[33])
{
	int i;

	for (i = 0; i < 4; i++)
		snprintf(out + 8 * i, 9, "%08x", mix(h->lane[i]));
}
