// Reading a compiled module directory for dispatch: the manifest's exact
// bytes (what gets signed) and every file it lists, checked against it so
// that a broken module fails here, on the controller, with a clear message.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { MANIFEST_FILE, parseManifest, type ModuleManifest } from '../module/manifest.js';
import { sha256Hex, signManifest } from '../module/sign.js';
import { fileMismatch } from '../module/verify.js';
import type { ModuleUpload } from './agent-client.js';

export interface ModuleOnDisk {
	dir: string;
	manifest: ModuleManifest;
	manifestBytes: Buffer;
	files: { name: string; data: Buffer }[];
}

export class ModuleDirError extends Error {}

export function readModuleDir(dir: string): ModuleOnDisk {
	const manifestPath = join(dir, MANIFEST_FILE);
	if (!existsSync(manifestPath)) throw new ModuleDirError(`${dir} is not a module directory: it has no ${MANIFEST_FILE}`);
	const manifestBytes = readFileSync(manifestPath);
	let manifest: ModuleManifest;
	try {
		manifest = parseManifest(manifestBytes);
	} catch (e) {
		throw new ModuleDirError(`${manifestPath}: ${(e as Error).message}`);
	}
	const files = manifest.files.map((f) => {
		const path = join(dir, f.name);
		if (!existsSync(path)) throw new ModuleDirError(`${dir}: file ${f.name} listed in the manifest is missing`);
		const data = readFileSync(path);
		const problem = fileMismatch(f, data.length, sha256Hex(data));
		if (problem) throw new ModuleDirError(`${dir}: ${problem}`);
		return { name: f.name, data };
	});
	return { dir, manifest, manifestBytes, files };
}

/** The upload for a module, signed in memory with the controller's key. */
export function signedUpload(mod: ModuleOnDisk, signingKey: KeyObject): ModuleUpload {
	return { manifest: mod.manifestBytes, signature: signManifest(mod.manifestBytes, signingKey), files: mod.files };
}
