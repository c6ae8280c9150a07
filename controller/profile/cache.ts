// Profiles cached by build-id under $XDG_CACHE_HOME/tapfleet/profiles
// (default ~/.cache/tapfleet/profiles), one gzip-compressed file per kernel
// build: <build-id>.json.gz.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { reasonOf } from './reasons.js';
import { loadProfile, saveProfile, saveProfileInBackground } from './store.js';
import type { KernelProfile } from './types.js';
import { ProfileError } from './validate.js';
import { makeDirs } from '../util/make-dirs.js';
import { keptWhileFileUnchanged } from '../util/file-kept.js';

export interface CacheOptions {
	/** Overrides the cache directory (tests; a controller with its own state directory). */
	dir?: string;
}

export function profileCacheDir(opts: CacheOptions = {}): string {
	if (opts.dir) return opts.dir;
	const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
	return join(base, 'tapfleet', 'profiles');
}

const BUILD_ID = /^[0-9a-f]{2,128}$/;

export function cachedProfilePath(buildId: string, opts: CacheOptions = {}): string {
	// The id becomes a file name: accept only what a build-id can be.
	if (!BUILD_ID.test(buildId)) throw new ProfileError(`"${buildId}" is not a build-id (lowercase hex expected)`);
	return join(profileCacheDir(opts), `${buildId}.json.gz`);
}

/** Where the profile of this build-id goes, its directory made. */
function cacheFileFor(profile: KernelProfile, opts: CacheOptions): string {
	const path = cachedProfilePath(profile.buildId, opts);
	try {
		makeDirs(profileCacheDir(opts));
	} catch (err) {
		throw new ProfileError(`cannot create the profile cache: ${reasonOf(err)}`);
	}
	return path;
}

/** Stores the profile under its build-id; returns the file's path. */
export function cacheProfile(profile: KernelProfile, opts: CacheOptions = {}): string {
	const path = cacheFileFor(profile, opts);
	saveProfile(path, profile, { gzip: true });
	return path;
}

/**
 * cacheProfile without holding up the caller: the file appears when written
 * (atomically); the promise fails with a ProfileError naming it.
 */
export async function cacheProfileInBackground(profile: KernelProfile, opts: CacheOptions = {}): Promise<string> {
	const path = cacheFileFor(profile, opts);
	await saveProfileInBackground(path, profile);
	return path;
}

/**
 * A cached profile file, read and parsed once while it stays the same file
 * (a warm runner reads it once, not per run). With what is made from it and
 * kept with it (its BTF's index, the tapsets' parse) a kernel is ~55 MB of a
 * runner's memory: four are kept at most.
 */
const KEPT_PROFILES = 4;
const loadKept = keptWhileFileUnchanged(loadProfile, KEPT_PROFILES);

/**
 * The cached profile of a build-id, or undefined when none is cached.
 * A damaged cache file is an error (ProfileError naming the file), not a miss.
 */
export function cachedProfile(buildId: string, opts: CacheOptions = {}): KernelProfile | undefined {
	const path = cachedProfilePath(buildId, opts);
	let profile: KernelProfile;
	try {
		profile = loadKept(path);
	} catch (err) {
		// no file, or no directory where the cache should be (a miss: the save says what is wrong)
		if (err instanceof ProfileError && /ENOENT|ENOTDIR/.test(err.message)) return undefined;
		throw err;
	}
	if (profile.buildId !== buildId) throw new ProfileError(`${path}: holds the profile of build-id ${profile.buildId}, not ${buildId}`);
	return profile;
}
