// With no --host, `tapfleet run` uses the same path through an agent
// embedded in this process on a private unix socket: the local host is
// just another host. It trusts exactly the key this run signs with.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../agent/server.js';
import { silentLogger } from '../../agent/log.js';
import { KERNEL_BUFFER_MIB_MAX } from '../../agent/upload.js';

export interface EmbeddedAgent {
	uri: string;
	agent: RunningAgent;
	close(): Promise<void>;
}

/** Where an embedded agent will listen, known before it starts (so the audit can be opened meanwhile). */
export interface EmbeddedPlace {
	dir: string;
	uri: string;
}

export function embeddedPlace(): EmbeddedPlace {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-local-'));
	return { dir, uri: `unix:${join(dir, 'agent.sock')}` };
}

export async function startEmbeddedAgent(place: EmbeddedPlace, signingKey: KeyObject, taprunPath?: string): Promise<EmbeddedAgent> {
	const { dir } = place;
	try {
		const keysDir = join(dir, 'trusted-keys');
		mkdirSync(keysDir);
		writeFileSync(join(keysDir, 'run.pub'), createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }) as string);
		const agent = await startAgent({ listen: place.uri, trustedKeysDir: keysDir, stateDir: join(dir, 'state'), taprunPath, log: silentLogger, standardServices: false, durableJournal: false, maxKernelBufferMib: KERNEL_BUFFER_MIB_MAX, runtimeVersion: 'not asked (embedded agent)' });
		return {
			uri: agent.address,
			agent,
			async close() {
				await agent.stop('run finished');
				rmSync(dir, { recursive: true, force: true });
			},
		};
	} catch (e) {
		rmSync(dir, { recursive: true, force: true });
		throw e;
	}
}

/** A signing key for a purely local run when no PKI exists. */
export function ephemeralSigningKey(): KeyObject {
	return generateKeyPairSync('ed25519').privateKey;
}
