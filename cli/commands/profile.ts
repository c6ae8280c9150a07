// `tapfleet profile`: gathers the local kernel's profile (or reads a saved
// one with --profile), prints a summary or the JSON, caches it by build-id
// and saves it where -o says.
import type { Command } from 'commander';
import { cacheProfile } from '../../controller/profile/cache.js';
import { gatherLocalProfile } from '../../controller/profile/gather.js';
import { loadProfile, ProfileError, saveProfile } from '../../controller/profile/store.js';
import { profileSummary } from '../../controller/profile/summary.js';
import type { KernelProfile } from '../../controller/profile/types.js';

interface ProfileOptions {
	json?: boolean;
	output?: string;
	profile?: string;
	btf: boolean;
	cache: boolean;
}

/** Caching is a convenience: when it fails, say so and still print the profile. */
function cacheQuietly(profile: KernelProfile): string {
	try {
		return `cached as ${cacheProfile(profile)}`;
	} catch (err) {
		if (!(err instanceof ProfileError)) throw err;
		return `not cached: ${err.message}`;
	}
}

async function runProfile(opts: ProfileOptions): Promise<void> {
	let profile: KernelProfile;
	let gatheredIn: number | undefined;
	if (opts.profile) {
		profile = loadProfile(opts.profile);
	} else {
		const gathered = await gatherLocalProfile({ carryBtf: opts.btf });
		profile = gathered.profile;
		gatheredIn = gathered.timings.total;
	}
	const notes: string[] = [];
	if (gatheredIn !== undefined) notes.push(`gathered in ${gatheredIn} ms`);
	// A profile without BTF must not replace a cached one that carries it.
	if (opts.cache && opts.btf && !opts.profile) notes.push(cacheQuietly(profile));
	if (opts.output) {
		saveProfile(opts.output, profile);
		notes.push(`saved to ${opts.output}`);
	}
	if (opts.json) {
		process.stdout.write(`${JSON.stringify(profile, null, 1)}\n`);
		for (const n of notes) process.stderr.write(`tapfleet profile: ${n}\n`);
	} else {
		process.stdout.write(profileSummary(profile) + notes.map((n) => `  ${n}\n`).join(''));
	}
}

export function registerProfile(program: Command): void {
	program
		.command('profile')
		.description("gather this host's kernel profile (probe kinds, runtimes, tracepoints, symbols, BTF) and print it")
		.option('--json', 'print the whole profile as JSON')
		.option('-o, --output <file>', 'also save the profile to FILE (gzip-compressed if FILE ends in .gz)')
		.option('--profile <file>', 'show a saved profile instead of gathering the local one')
		.option('--no-btf', 'do not carry the raw BTF in the profile (smaller; pass 3 then needs the host)')
		.option('--no-cache', 'do not store the profile in the cache ($XDG_CACHE_HOME/tapfleet/profiles)')
		.action(async (opts: ProfileOptions) => {
			try {
				await runProfile(opts);
			} catch (err) {
				if (!(err instanceof ProfileError)) throw err;
				process.stderr.write(`tapfleet profile: ${err.message}\n`);
				process.exitCode = 1;
			}
		});
}
