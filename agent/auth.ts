// Authorisation by identity. Over mTLS the identity is the client
// certificate's common name (the TLS layer has already checked it against
// the CA); its role gives default rights, and the policy file may grant or
// take away rights per identity. A local unix socket is protected by file
// permissions and has every right; plain TCP (explicitly asked for) too.
import type { PeerCertificate } from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_RIGHTS, isRight, roleFromOu, ALL_RIGHTS, type Right } from '../controller/pki/identity.js';
import { permissionDenied } from './status.js';

export interface Caller {
	identity: string;
	rights: Right[];
}

/** identity → rights, overriding the role's defaults. */
export type Policy = Map<string, Right[]>;

export function loadPolicy(path: string | undefined): Policy {
	const policy: Policy = new Map();
	if (!path || !existsSync(path)) return policy;
	let doc: any;
	try {
		doc = JSON.parse(readFileSync(path, 'utf8'));
	} catch (e) {
		throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
	}
	const identities = doc?.identities;
	if (typeof identities !== 'object' || identities === null) throw new Error(`${path}: expected {"identities": {"NAME": ["observe", "operate"]}}`);
	for (const [name, rights] of Object.entries(identities)) {
		if (!Array.isArray(rights) || !rights.every((r) => typeof r === 'string' && isRight(r))) {
			throw new Error(`${path}: identity ${JSON.stringify(name)}: rights must be a list of ${ALL_RIGHTS.map((r) => JSON.stringify(r)).join(', ')}`);
		}
		policy.set(name, rights as Right[]);
	}
	return policy;
}

export type Transport = 'mtls' | 'unix' | 'plaintext';

/** The part of a grpc-js server call that carries the TLS peer. */
export interface CallWithAuth {
	getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

export function callerOf(call: CallWithAuth, transport: Transport, policy: Policy): Caller {
	if (transport !== 'mtls') {
		const identity = transport === 'unix' ? 'local' : 'anonymous';
		return { identity, rights: policy.get(identity) ?? [...ALL_RIGHTS] };
	}
	const cert = call.getAuthContext()?.sslPeerCertificate;
	const cn = cert?.subject?.CN;
	const identity = Array.isArray(cn) ? cn[0] : cn;
	if (!identity) return { identity: '(no certificate)', rights: [] };
	const role = roleFromOu(cert!.subject.OU);
	return { identity, rights: policy.get(identity) ?? [...(role ? DEFAULT_RIGHTS[role] : [])] };
}

export function requireRight(caller: Caller, right: Right, what: string): void {
	if (!caller.rights.includes(right)) {
		const has = caller.rights.length ? caller.rights.join(', ') : 'none';
		throw permissionDenied(`identity "${caller.identity}" may not ${what}: it lacks the right "${right}" (it has: ${has}); grant it in the agent's policy.json`);
	}
}
