// Verifying a module before anything of it is used: the signature of the
// manifest's exact bytes against trusted ed25519 public keys, then each
// file's name, size and sha256 against the manifest.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type ModuleFile, type ModuleManifest } from './manifest.js';
import { sha256Hex } from './sign.js';

export class SignatureError extends Error {}

export interface TrustedKey {
	/** Where the key came from (file name), for messages. */
	name: string;
	key: KeyObject;
}

/** Loads every *.pub (PEM, ed25519) in a directory. */
export function loadTrustedKeys(dir: string): TrustedKey[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir)
		.filter((f) => f.endsWith('.pub'))
		.sort()
		.map((f) => {
			const key = createPublicKey(readFileSync(join(dir, f)));
			if (key.asymmetricKeyType !== 'ed25519') throw new SignatureError(`${join(dir, f)}: not an ed25519 public key`);
			return { name: f, key };
		});
}

/**
 * Checks the signature, then parses the manifest. Returns the manifest and
 * the name of the key that signed it; throws SignatureError when no trusted
 * key verifies it (ManifestError when the signed bytes are malformed).
 */
export function verifySignedManifest(manifestBytes: Buffer, signature: Buffer, trusted: TrustedKey[]): { manifest: ModuleManifest; signer: string } {
	if (trusted.length === 0) throw new SignatureError('this agent trusts no module-signing key');
	if (signature.length === 0) throw new SignatureError('the module is not signed');
	if (signature.length !== 64) throw new SignatureError(`the signature is ${signature.length} bytes, an ed25519 signature is 64`);
	const signer = trusted.find((t) => verify(null, manifestBytes, t.key, signature));
	if (!signer) throw new SignatureError(`the module's signature does not verify against any trusted key (${trusted.map((t) => t.name).join(', ')})`);
	return { manifest: parseManifest(manifestBytes), signer: signer.name };
}

/** Compares one received file with its manifest entry; returns the problem, or undefined. */
export function fileMismatch(entry: ModuleFile, size: number, sha256: string): string | undefined {
	if (size !== entry.size) return `file ${entry.name} is ${size} bytes, the manifest says ${entry.size}`;
	if (sha256 !== entry.sha256) return `file ${entry.name} has sha256 ${sha256}, the manifest says ${entry.sha256}`;
	return undefined;
}

/** Verifies a module directory on disk (manifest.json, manifest.sig, files). */
export function verifyModuleDir(dir: string, trusted: TrustedKey[]): ModuleManifest {
	const { manifest } = verifySignedManifest(readFileSync(join(dir, 'manifest.json')), readFileSync(join(dir, 'manifest.sig')), trusted);
	for (const f of manifest.files) {
		const data = readFileSync(join(dir, f.name));
		const problem = fileMismatch(f, data.length, sha256Hex(data));
		if (problem) throw new SignatureError(problem);
	}
	return manifest;
}
