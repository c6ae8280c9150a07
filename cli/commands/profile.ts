// `tapfleet profile`: gathers the local kernel's profile (or fetches a
// host's from its agent with --host, or reads a saved one with --profile),
// prints a summary or the JSON, caches it by build-id and saves it where
// -o says: a saved profile lets `compile --profile` build for a host that
// the compiling machine cannot reach.
import type { Command } from 'commander';
import { cacheProfile } from '../../controller/profile/cache.js';
import { gatherLocalProfile } from '../../controller/profile/gather.js';
import { loadProfile, ProfileError, saveProfile } from '../../controller/profile/store.js';
import { profileSummary } from '../../controller/profile/summary.js';
import type { KernelProfile } from '../../controller/profile/types.js';
import { collectHosts } from './fleet-cli.js';

interface ProfileOptions {
	host: string[];
	pki?: string;
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
	if (opts.host.length && opts.profile) throw new ProfileError('--host and --profile: give one of them');
	if (opts.host.length > 1) throw new ProfileError(`--host: one host at a time (${opts.host.length} given)`);
	const fetched = opts.host.length === 1;
	if (opts.profile) {
		profile = loadProfile(opts.profile);
	} else if (fetched) {
		profile = await fetchProfile(opts.host[0]!, opts);
	} else {
		const gathered = await gatherLocalProfile({ carryBtf: opts.btf });
		profile = gathered.profile;
		gatheredIn = gathered.timings.total;
	}
	const notes: string[] = [];
	if (gatheredIn !== undefined) notes.push(`gathered in ${gatheredIn} ms`);
	// A profile without BTF must not replace a cached one that carries it.
	if (opts.cache && opts.btf && !opts.profile) notes.push(cacheQuietly(profile));
	if (fetched) notes.unshift(`fetched from ${opts.host[0]}`);
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

/** The profile of the kernel `host` runs, from its agent (the agent gathers it; `observe` right). */
async function fetchProfile(host: string, opts: ProfileOptions): Promise<KernelProfile> {
	const [{ clientsFor, connectOptions }, { describeError }, { downloadProfile }] = await Promise.all([
		import('../../controller/dispatch/connect.js'),
		import('../../controller/dispatch/agent-client.js'),
		import('../../controller/dispatch/profile-fetch.js'),
	]);
	const [client] = clientsFor(connectOptions([host], opts.pki));
	try {
		const info = await client!.hostInfo();
		const profile = await downloadProfile(client!, info.buildId);
		return opts.btf ? profile : withoutBtf(profile);
	} catch (err) {
		throw new ProfileError(`${client!.host.label}: ${err instanceof ProfileError ? err.message : describeError(err)}`);
	} finally {
		client!.close();
	}
}

/** The profile without its raw BTF (--no-btf), as gathering leaves it out. */
function withoutBtf(profile: KernelProfile): KernelProfile {
	const { gzipBase64: _dropped, ...btf } = profile.btf;
	return { ...profile, btf };
}

export function registerProfile(program: Command): void {
	program
		.command('profile')
		.description("gather this host's kernel profile (probe kinds, runtimes, tracepoints, symbols, BTF), or fetch a host's from its agent, and print it")
		.option('--host <URI>', "fetch the profile of this agent's kernel instead: HOST:PORT (mTLS), unix:/PATH or plaintext://HOST:PORT", collectHosts, [])
		.option('--pki <DIR>', 'PKI directory from `tapfleet keys init` (default: XDG config dir), for --host')
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
