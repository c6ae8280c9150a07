// The profile pass 2 resolves against: a saved one (--profile FILE), else
// this host's from the cache (keyed by the running kernel's build-id), else
// gathered afresh (and cached). Gathering costs seconds; the cache does not.
import { cachedProfile } from '../profile/cache.js';
import { runningBuildId } from '../profile/identity.js';
import { resolveTargetProfile } from '../profile/resolve.js';
import { loadProfile } from '../profile/store.js';
import type { KernelProfile } from '../profile/types.js';
import { commandCache } from '../util/command-cache.js';

/** Saved profiles read in this process, by path (a command may ask in several passes; each read is megabytes). */
const saved = commandCache<string, KernelProfile>();

export async function compileProfile(profilePath?: string): Promise<KernelProfile> {
	if (profilePath) {
		let p = saved.get(profilePath);
		if (!p) saved.set(profilePath, (p = loadProfile(profilePath)));
		return p;
	}
	try {
		const cached = cachedProfile(await runningBuildId());
		if (cached) return cached;
	} catch {
		// No readable build-id or a damaged cache entry: gather afresh below.
	}
	return resolveTargetProfile({});
}
