// The kernel profile the agent serves to controllers: gathered once per
// agent process (the kernel does not change under a running agent) and
// streamed as gzip-compressed JSON in chunks (symbols and BTF compress well).
import { gatherLocalProfile } from '../controller/profile/gather.js';
import { serializeProfile } from '../controller/profile/store.js';

export const PROFILE_CHUNK_BYTES = 1024 * 1024;

let cached: Promise<Buffer> | undefined;

export function localProfileBytes(): Promise<Buffer> {
	cached ??= gatherLocalProfile().then((r) => serializeProfile(r.profile, true));
	// A failure is not cached: the next request tries again.
	cached.catch(() => (cached = undefined));
	return cached;
}

export function* chunks(data: Buffer, size = PROFILE_CHUNK_BYTES): Generator<Buffer> {
	for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
	if (data.length === 0) yield data;
}
