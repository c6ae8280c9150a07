// The bundled agent carries its native helpers (taprun; tapprobe for the
// kernel profile) and its API descriptors inside the one JavaScript file.
// The bundle's banner (scripts/bundle-agent.mjs) writes them once into a
// cache directory named by their hash, before any module runs (the gRPC
// health and reflection packages read .proto files from disk as they load);
// this file points the agent at them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare global {
	// Set by the bundle's banner: where the embedded files were extracted.
	var __TAPFLEET_FILES_DIR__: string | undefined;
}

/** Makes the embedded binaries and API descriptors available; a no-op outside the bundle. */
export function installEmbeddedFiles(): void {
	const dir = globalThis.__TAPFLEET_FILES_DIR__;
	if (!dir) return;
	if (!process.env.TAPFLEET_TAPRUN) globalThis.__TAPFLEET_TAPRUN__ = join(dir, 'bin', 'taprun');
	if (!process.env.TAPFLEET_TAPPROBE) process.env.TAPFLEET_TAPPROBE = join(dir, 'bin', 'tapprobe');
	globalThis.__TAPFLEET_DESCRIPTORS__ = readFileSync(join(dir, 'api', 'agent.binpb')).toString('base64');
}
