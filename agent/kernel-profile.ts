// The kernel profile the agent serves to controllers: gathered once per
// agent process (the kernel does not change under a running agent) and
// streamed as gzip-compressed JSON in chunks (symbols and BTF compress well).


export const PROFILE_CHUNK_BYTES = 1024 * 1024;

let cached: Promise<Buffer> | undefined;

export function localProfileBytes(): Promise<Buffer> {
	// Loaded on the first request: an idle agent does not carry the profile gatherer.
	cached ??= Promise.all([import('../controller/profile/gather.js'), import('../controller/profile/store.js')]).then(async ([{ gatherLocalProfile }, { serializeProfile }]) =>
		serializeProfile((await gatherLocalProfile()).profile, true),
	);
	// A failure is not cached: the next request tries again.
	cached.catch(() => (cached = undefined));
	return cached;
}

export function* chunks(data: Buffer, size = PROFILE_CHUNK_BYTES): Generator<Buffer> {
	for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
	if (data.length === 0) yield data;
}
