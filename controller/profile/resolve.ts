// The profile a pass resolves against: a saved one (`--profile FILE`), so
// that one can compile for a kernel one cannot reach, or the local host's,
// gathered afresh and cached under its build-id.
import { cacheProfile, type CacheOptions } from './cache.js';
import { gatherLocalProfile } from './gather.js';
import { loadProfile } from './store.js';
import type { KernelProfile } from './types.js';

export interface TargetProfileOptions extends CacheOptions {
	/** A saved profile (the --profile option); the local host when absent. */
	profilePath?: string;
	/** Carry BTF in a freshly gathered profile (default true). */
	carryBtf?: boolean;
}

export async function resolveTargetProfile(opts: TargetProfileOptions = {}): Promise<KernelProfile> {
	if (opts.profilePath) return loadProfile(opts.profilePath);
	const carryBtf = opts.carryBtf ?? true;
	const { profile } = await gatherLocalProfile({ carryBtf });
	// A profile without its BTF must not replace a cached one that carries it.
	if (carryBtf) {
		try {
			cacheProfile(profile, opts);
		} catch {
			// A read-only or full cache must not stop compilation; the profile is in hand.
		}
	}
	return profile;
}
