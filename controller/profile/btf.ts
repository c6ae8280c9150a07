// The kernel's BTF (/sys/kernel/btf/vmlinux, 5.5 MB here), carried in the
// profile gzip-compressed (1.7 MB) so that pass 3 can generate CO-RE code
// for a kernel it cannot reach.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { reasonOf } from './reasons.js';
import type { BtfInfo, KernelProfile, Unavailable } from './types.js';

const gzipAsync = promisify(gzip);
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

export async function readBtf(carry: boolean, path = VMLINUX_BTF): Promise<{ btf: BtfInfo; unavailable?: Unavailable }> {
	let raw: Buffer;
	try {
		// Read synchronously so that the compression starts on the thread pool at once.
		raw = readFileSync(path);
	} catch (err) {
		return { btf: { present: false }, unavailable: { source: path, reason: reasonOf(err) } };
	}
	const btf: BtfInfo = { present: true, path, size: raw.length, sha256: createHash('sha256').update(raw).digest('hex') };
	// zlib runs on the thread pool, so this overlaps the rest of the gathering.
	if (carry) btf.gzipBase64 = (await gzipAsync(raw, { level: 6 })).toString('base64');
	return { btf };
}

/** The raw BTF a profile carries, checked against its recorded hash; undefined if it carries none. */
export function profileBtf(profile: KernelProfile): Buffer | undefined {
	const { gzipBase64, sha256 } = profile.btf;
	if (!gzipBase64) return undefined;
	const raw = gunzipSync(Buffer.from(gzipBase64, 'base64'));
	const actual = createHash('sha256').update(raw).digest('hex');
	if (sha256 && actual !== sha256) throw new Error(`profile ${profile.buildId}: BTF does not match its sha256 (${actual} != ${sha256})`);
	return raw;
}
