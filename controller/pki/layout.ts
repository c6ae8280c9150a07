// File names inside a PKI directory. `keys init` writes the controller's
// side; `keys issue --agent NAME` writes PKI/agents/NAME with exactly what
// an agent needs to be copied to its host (never the CA's or the signing
// key's private half).
import { join } from 'node:path';

export const PKI_FILES = {
	caCert: 'ca.crt',
	caKey: 'ca.key',
	controllerCert: 'controller.crt',
	controllerKey: 'controller.key',
	signingKey: 'signing.key',
	signingPublicKey: 'signing.pub',
	agentsDir: 'agents',
	clientsDir: 'clients',
} as const;

/** What an agent's directory holds. */
export const AGENT_PKI_FILES = {
	caCert: 'ca.crt',
	cert: 'agent.crt',
	key: 'agent.key',
	/** Public keys of module signers this agent trusts (*.pub). */
	trustedKeysDir: 'trusted-keys',
	/** Optional: identity → rights overrides (JSON). */
	policy: 'policy.json',
} as const;

/** What a client (a second controller, an observer) gets. */
export const CLIENT_PKI_FILES = {
	caCert: 'ca.crt',
	cert: 'client.crt',
	key: 'client.key',
} as const;

export function agentPkiDir(pkiDir: string, name: string): string {
	return join(pkiDir, PKI_FILES.agentsDir, name);
}

export function clientPkiDir(pkiDir: string, name: string): string {
	return join(pkiDir, PKI_FILES.clientsDir, name);
}
