// Signing a module: ed25519 over manifest.json's exact bytes. The signature
// is detached (manifest.sig, 64 raw bytes), so the manifest that the agent
// parses is byte for byte the one that was signed.
import { createHash, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, SIGNATURE_FILE } from './manifest.js';

export function signManifest(manifestBytes: Buffer, privateKey: KeyObject): Buffer {
	return sign(null, manifestBytes, privateKey);
}

/** Signs DIR/manifest.json and writes DIR/manifest.sig; returns the signature. */
export function signModuleDir(dir: string, privateKey: KeyObject): Buffer {
	const signature = signManifest(readFileSync(join(dir, MANIFEST_FILE)), privateKey);
	writeFileSync(join(dir, SIGNATURE_FILE), signature);
	return signature;
}

export function sha256Hex(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}
