// A 128-bit hash of bytes, for naming a warm runner's socket and
// fingerprinting an environment; runtime-c/warm/hash128.c computes the very
// same (the C client finds the runner the JS side started). Not
// node:crypto: importing it costs the JS client 2.5-6 ms here, and nothing
// here is a secret or a signature (the socket's directory is this user's
// alone, place.ts).
const OFFSETS = [0x811c9dc5, 0x9e3779b9 ^ 0x01000193, 0x85ebca6b, 0xc2b2ae35];

/** Four FNV-1a lanes of 32 bits, each seeded and mixed differently, finished with murmur3's mix: 32 hex digits. */
export function hash128(bytes: Uint8Array): string {
	let a = OFFSETS[0]!;
	let b = OFFSETS[1]!;
	let c = OFFSETS[2]!;
	let d = OFFSETS[3]!;
	for (let i = 0; i < bytes.length; i++) {
		const x = bytes[i]!;
		a = Math.imul(a ^ x, 0x01000193);
		b = Math.imul(b ^ x, 0x01000193) ^ (b >>> 13);
		c = Math.imul(c ^ x, 0x0100019d);
		d = Math.imul(d ^ ((x + i) & 0xff), 0x01000193);
	}
	return [a, b, c, d].map((h) => (mix(h) >>> 0).toString(16).padStart(8, '0')).join('');
}

function mix(h: number): number {
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	return h ^ (h >>> 16);
}
