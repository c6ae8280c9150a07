// Kernel profiles for compiling: fetched from one agent per distinct
// build-id, and cached by build-id (controller/profile/cache.ts), so a fleet
// of a thousand hosts on three kernel builds costs three downloads, once.
import type { KernelProfile } from '../profile/types.js';
import { cachedProfile, cacheProfile, type CacheOptions } from '../profile/cache.js';
import { parseProfile } from '../profile/store.js';
import type { AgentClient } from './agent-client.js';

/** Largest profile accepted from an agent (a full one with BTF is a few MiB compressed). */
export const MAX_PROFILE_BYTES = 256 * 1024 * 1024;

function download(client: AgentClient, buildId: string): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const call = client.client.getKernelProfile({ expectedBuildId: buildId });
		call.on('data', (c: { data: Uint8Array }) => {
			size += c.data.length;
			if (size > MAX_PROFILE_BYTES) {
				call.cancel();
				reject(new Error(`${client.host.label}: the kernel profile is larger than ${MAX_PROFILE_BYTES} bytes`));
				return;
			}
			chunks.push(Buffer.from(c.data));
		});
		call.on('end', () => resolve(Buffer.concat(chunks)));
		call.on('error', reject);
	});
}

/** The profile of `buildId` from `client`'s agent, checked to be that build's. */
export async function downloadProfile(client: AgentClient, buildId: string): Promise<KernelProfile> {
	const profile = parseProfile(await download(client, buildId), `the kernel profile from ${client.host.label}`);
	if (profile.buildId !== buildId) throw new Error(`${client.host.label} sent the profile of build-id ${profile.buildId}, not ${buildId}`);
	return profile;
}

/** The profile of `buildId`: from the cache, or from `client`'s agent (then cached). */
export async function profileFor(client: AgentClient, buildId: string, cache: CacheOptions = {}): Promise<{ profile: KernelProfile; fetched: boolean }> {
	const hit = cachedProfile(buildId, cache);
	if (hit) return { profile: hit, fetched: false };
	const profile = await downloadProfile(client, buildId);
	cacheProfile(profile, cache);
	return { profile, fetched: true };
}
