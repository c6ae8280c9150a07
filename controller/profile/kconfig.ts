// The kernel's configuration (CONFIG_* → value), as the preprocessor's
// CONFIG_ conditions need it: every "CONFIG_NAME=value" line of .config,
// the value kept verbatim ("y", "m", "\"str\""), as SystemTap reads it.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseKernelConfig } from '../parse/target.js';
import { reasonOf } from './reasons.js';
import type { Unavailable } from './types.js';

/** CONFIG_NAME → value, by the preprocessor's own .config reader (one reading of .config for both). */
export function parseKconfig(text: string): Record<string, string> {
	return Object.fromEntries(parseKernelConfig(text));
}

export interface KconfigResult {
	config: Record<string, string>;
	source?: string;
	unavailable: Unavailable[];
}

/** A kernel tree's (or build directory's) .config. */
export async function readTreeKconfig(treeDir: string): Promise<Record<string, string>> {
	return parseKconfig(await readFile(`${treeDir}/.config`, 'utf8'));
}

/**
 * The running kernel's configuration: /proc/config.gz (CONFIG_IKCONFIG_PROC),
 * else the distribution's /boot/config-RELEASE, else the build tree's .config.
 */
export async function readRunningKconfig(release: string): Promise<KconfigResult> {
	const sources: Array<[string, (buf: Buffer) => string]> = [
		['/proc/config.gz', (buf) => gunzipSync(buf).toString('utf8')],
		[`/boot/config-${release}`, (buf) => buf.toString('utf8')],
		[`/lib/modules/${release}/build/.config`, (buf) => buf.toString('utf8')],
	];
	const unavailable: Unavailable[] = [];
	for (const [source, decode] of sources) {
		try {
			const config = parseKconfig(decode(await readFile(source)));
			if (Object.keys(config).length > 0) return { config, source, unavailable: [] };
			unavailable.push({ source, reason: 'no CONFIG_ lines' });
		} catch (err) {
			unavailable.push({ source, reason: reasonOf(err) });
		}
	}
	return { config: {}, unavailable };
}
