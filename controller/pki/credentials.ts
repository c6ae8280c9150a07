// Loading what a client needs to talk to agents: the CA, its certificate
// and key (a controller's PKI directory, or a directory from `keys issue
// --client`), and the controller's module-signing key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_PKI_FILES, PKI_FILES } from './layout.js';
import { PkiError } from './errors.js';

export interface ClientTls {
	ca: Buffer;
	cert: Buffer;
	key: Buffer;
}

export function loadClientTls(dir: string): ClientTls {
	const pairs: [string, string][] = [
		[PKI_FILES.controllerCert, PKI_FILES.controllerKey],
		[CLIENT_PKI_FILES.cert, CLIENT_PKI_FILES.key],
	];
	for (const [cert, key] of pairs) {
		if (existsSync(join(dir, cert)) && existsSync(join(dir, key)) && existsSync(join(dir, PKI_FILES.caCert))) {
			return { ca: readFileSync(join(dir, PKI_FILES.caCert)), cert: readFileSync(join(dir, cert)), key: readFileSync(join(dir, key)) };
		}
	}
	throw new PkiError(`${dir} holds no client certificate (${PKI_FILES.controllerCert} or ${CLIENT_PKI_FILES.cert}, with its key and ${PKI_FILES.caCert}); run \`tapfleet keys init --dir ${dir}\``);
}

export function loadSigningKey(dir: string): KeyObject {
	const path = join(dir, PKI_FILES.signingKey);
	if (!existsSync(path)) throw new PkiError(`${dir} holds no module-signing key (${PKI_FILES.signingKey}); run \`tapfleet keys init --dir ${dir}\``);
	const key = createPrivateKey(readFileSync(path));
	if (key.asymmetricKeyType !== 'ed25519') throw new PkiError(`${path}: not an ed25519 key`);
	return key;
}
