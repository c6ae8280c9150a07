// Server reflection, so that grpcurl and other generic clients can call an
// agent without the .proto files. From the repository the descriptors come
// from proto/; the bundled agent carries them compiled in (a
// FileDescriptorSet the bundle script embeds as a global).
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';

declare global {
	// Set by the agent bundle (scripts/bundle-agent.mjs): base64 of a FileDescriptorSet.
	var __TAPFLEET_DESCRIPTORS__: string | undefined;
}

export const AGENT_PROTO = 'tapfleet/v1/agent.proto';

function findProtoRoot(): string | undefined {
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		if (existsSync(join(dir, 'proto', AGENT_PROTO))) return join(dir, 'proto');
		dir = dirname(dir);
	}
	return undefined;
}

function apiDefinition(): PackageDefinition | undefined {
	if (globalThis.__TAPFLEET_DESCRIPTORS__) return loadFileDescriptorSetFromBuffer(Buffer.from(globalThis.__TAPFLEET_DESCRIPTORS__, 'base64'));
	const root = findProtoRoot();
	return root ? loadSync(AGENT_PROTO, { includeDirs: [root] }) : undefined;
}

/** Adds the reflection service; returns false when no descriptors were found. */
export function addReflection(server: Server): boolean {
	const definition = apiDefinition();
	if (!definition) return false;
	new ReflectionService(definition).addToServer(server);
	return true;
}
