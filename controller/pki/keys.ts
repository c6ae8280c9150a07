// `tapfleet keys`: creates a PKI directory (CA, controller certificate,
// module-signing key) and issues agent and client directories from it.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueLeaf, type PemPair } from './certificates.js';
import type { Role } from './identity.js';
import { PkiError } from './errors.js';
import { AGENT_PKI_FILES, CLIENT_PKI_FILES, PKI_FILES, agentPkiDir, clientPkiDir } from './layout.js';
import { makeDirs } from '../util/make-dirs.js';

export { PkiError };

/** Names of agents and clients become directory names and certificate CNs. */
const ENTITY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function checkName(kind: string, name: string): void {
	if (!ENTITY_NAME_RE.test(name) || name.includes('..')) {
		throw new PkiError(`bad ${kind} name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-', at most 63, not starting with a punctuation mark`);
	}
}

function writePrivate(path: string, text: string): void {
	writeFileSync(path, text, { mode: 0o600 });
}

function readCa(dir: string): PemPair {
	const certPath = join(dir, PKI_FILES.caCert);
	const keyPath = join(dir, PKI_FILES.caKey);
	if (!existsSync(certPath) || !existsSync(keyPath)) {
		throw new PkiError(`${dir} holds no CA (${PKI_FILES.caCert}, ${PKI_FILES.caKey}); run \`tapfleet keys init --dir ${dir}\` first`);
	}
	return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

export interface InitResult {
	dir: string;
	written: string[];
}

/** Creates the CA, the controller's certificate and the module-signing key. Refuses to overwrite. */
export async function initPki(dir: string, controllerName = 'controller'): Promise<InitResult> {
	checkName('controller', controllerName);
	if (existsSync(join(dir, PKI_FILES.caKey))) {
		throw new PkiError(`${dir} already holds a CA; refusing to overwrite it (remove the directory to start over)`);
	}
	makeDirs(dir, 0o700);
	const ca = await createCa('tapfleet CA');
	writeFileSync(join(dir, PKI_FILES.caCert), ca.certPem);
	writePrivate(join(dir, PKI_FILES.caKey), ca.keyPem);
	const controller = await issueLeaf(ca, { commonName: controllerName, role: 'controller', altNames: ['localhost', '127.0.0.1'] });
	writeFileSync(join(dir, PKI_FILES.controllerCert), controller.certPem);
	writePrivate(join(dir, PKI_FILES.controllerKey), controller.keyPem);
	const signing = generateKeyPairSync('ed25519');
	writePrivate(join(dir, PKI_FILES.signingKey), signing.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
	writeFileSync(join(dir, PKI_FILES.signingPublicKey), signing.publicKey.export({ type: 'spki', format: 'pem' }) as string);
	const written = [PKI_FILES.caCert, PKI_FILES.caKey, PKI_FILES.controllerCert, PKI_FILES.controllerKey, PKI_FILES.signingKey, PKI_FILES.signingPublicKey];
	return { dir, written: written.map((f) => join(dir, f)) };
}

/**
 * Writes PKI/agents/NAME: the agent's certificate (server and client), the CA
 * to check controllers against, and the controller's signing public key.
 */
export async function issueAgent(dir: string, name: string, extraAltNames: string[] = []): Promise<string> {
	checkName('agent', name);
	const ca = readCa(dir);
	const out = agentPkiDir(dir, name);
	makeDirs(join(out, AGENT_PKI_FILES.trustedKeysDir), 0o700);
	const altNames = [...new Set([name, 'localhost', '127.0.0.1', '::1', ...extraAltNames])];
	const leaf = await issueLeaf(ca, { commonName: name, role: 'agent', altNames });
	writeFileSync(join(out, AGENT_PKI_FILES.caCert), ca.certPem);
	writeFileSync(join(out, AGENT_PKI_FILES.cert), leaf.certPem);
	writePrivate(join(out, AGENT_PKI_FILES.key), leaf.keyPem);
	const pub = join(dir, PKI_FILES.signingPublicKey);
	if (existsSync(pub)) copyFileSync(pub, join(out, AGENT_PKI_FILES.trustedKeysDir, 'controller.pub'));
	return out;
}

/** Writes PKI/clients/NAME: a client certificate with the given role. */
export async function issueClient(dir: string, name: string, role: Exclude<Role, 'agent'>): Promise<string> {
	checkName('client', name);
	const ca = readCa(dir);
	const out = clientPkiDir(dir, name);
	makeDirs(out, 0o700);
	const leaf = await issueLeaf(ca, { commonName: name, role });
	writeFileSync(join(out, CLIENT_PKI_FILES.caCert), ca.certPem);
	writeFileSync(join(out, CLIENT_PKI_FILES.cert), leaf.certPem);
	writePrivate(join(out, CLIENT_PKI_FILES.key), leaf.keyPem);
	return out;
}

export function listIssued(dir: string, kind: 'agents' | 'clients'): string[] {
	const sub = join(dir, kind === 'agents' ? PKI_FILES.agentsDir : PKI_FILES.clientsDir);
	return existsSync(sub) ? readdirSync(sub).sort() : [];
}
