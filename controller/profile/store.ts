// Saving and loading kernel profiles. A profile file is JSON, gzip-compressed
// when its name ends in ".gz" (loading detects gzip by its magic bytes, so a
// renamed file still loads). `--profile FILE` in every pass goes through
// loadProfile, which validates and reports errors as FILE: what is wrong.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { reasonOf } from './reasons.js';
import type { KernelProfile } from './types.js';
import { ProfileError, validateProfile } from './validate.js';

export { ProfileError } from './validate.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const gzipAsync = promisify(gzip);

export function isGzip(buf: Buffer): boolean {
	return buf.length >= 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
}

/** "Unexpected token } in JSON at position 57" → "line 3, column 5: Unexpected token }". */
function describeJsonError(text: string, err: unknown): string {
	const message = reasonOf(err);
	const at = /at position (\d+)/.exec(message);
	if (!at) return message;
	const pos = Number(at[1]);
	const before = text.slice(0, pos);
	const line = before.split('\n').length;
	const column = pos - before.lastIndexOf('\n');
	return `${line}:${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}

/** Parses and validates profile bytes (JSON or gzip-compressed JSON); `source` names them in errors. */
export function parseProfile(bytes: Buffer, source: string): KernelProfile {
	let text: string;
	try {
		text = (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
	} catch (err) {
		throw new ProfileError(`${source}: not a readable kernel profile: damaged gzip data (${reasonOf(err)})`);
	}
	let doc: unknown;
	try {
		doc = JSON.parse(text);
	} catch (err) {
		throw new ProfileError(`${source}:${describeJsonError(text, err)} (a kernel profile must be JSON, as \`tapfleet profile -o FILE\` writes it)`);
	}
	return validateProfile(doc, source);
}

export function loadProfile(path: string): KernelProfile {
	let bytes: Buffer;
	try {
		bytes = readFileSync(path);
	} catch (err) {
		throw new ProfileError(`cannot read kernel profile ${path}: ${reasonOf(err)}`);
	}
	return parseProfile(bytes, path);
}

export function serializeProfile(profile: KernelProfile, gzip: boolean): Buffer {
	const json = Buffer.from(`${JSON.stringify(profile)}\n`, 'utf8');
	return gzip ? gzipSync(json, { level: 6 }) : json;
}

/**
 * saveProfile with the compression on libuv's thread pool and the writes
 * asynchronous: a first run on a kernel caches the profile it gathered
 * while its passes go on (gzip of ~6 MB is ~110 ms of CPU, off the main
 * thread this way).
 */
export async function saveProfileInBackground(path: string, profile: KernelProfile): Promise<void> {
	const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
	try {
		const json = Buffer.from(`${JSON.stringify(profile)}\n`, 'utf8');
		await writeFile(tmp, await gzipAsync(json, { level: 6 }));
		await rename(tmp, path);
	} catch (err) {
		await rm(tmp, { force: true });
		throw new ProfileError(`cannot save kernel profile to ${path}: ${reasonOf(err)}`);
	}
}

/** Writes atomically (temporary file, then rename), gzip if the name ends in ".gz" unless told otherwise. */
export function saveProfile(path: string, profile: KernelProfile, opts: { gzip?: boolean } = {}): void {
	const gzip = opts.gzip ?? path.endsWith('.gz');
	const tmp = `${path}.tmp-${process.pid}`;
	try {
		writeFileSync(tmp, serializeProfile(profile, gzip));
		renameSync(tmp, path);
	} catch (err) {
		throw new ProfileError(`cannot save kernel profile to ${path}: ${reasonOf(err)}`);
	}
}
