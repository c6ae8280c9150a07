// NODE_EXTRA_CA_CERTS, loaded when first needed. bin/tapfleet starts Node
// without it (Node 20 parses the whole file at every start, ~40 ms for a
// system bundle, while tapfleet's own connections trust only its PKI) and
// says so in globalThis.__TAPFLEET_DEFERRED_EXTRA_CA__. What Node would have
// done with it: add those certificates to its default CA store, which a TLS
// context uses when it is given no `ca` of its own. So here, a context made
// without `ca` (a connection to a peer outside tapfleet's PKI: PostgreSQL
// over TLS, say) gets Node's built-in roots plus that file's certificates,
// read on the first such context; contexts with their own `ca` (every
// tapfleet connection) are left alone and the file is never read. (Node's
// roots here are its bundled ones, tls.rootCertificates: a Node started with
// --use-openssl-ca would have used OpenSSL's store instead.)
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

declare global {
	// Set by bin/tapfleet: the NODE_EXTRA_CA_CERTS file that Node did not load at start.
	var __TAPFLEET_DEFERRED_EXTRA_CA__: string | undefined;
}

let defaultCa: string[] | undefined;

/** Node's built-in roots and the file's certificates (as Node warns and goes on without them when the file cannot be read). */
function caWithExtra(file: string): string[] {
	if (defaultCa) return defaultCa;
	let extra: string[] = [];
	try {
		extra = [readFileSync(file, 'latin1')];
	} catch (e) {
		process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}\n`);
	}
	defaultCa = [...tls.rootCertificates, ...extra];
	return defaultCa;
}

let installed = false;

/**
 * Makes TLS contexts without their own `ca` trust the deferred
 * NODE_EXTRA_CA_CERTS file too (tls.connect and servers create their
 * contexts through tls.createSecureContext). Does nothing when Node loaded
 * the file itself (no deferral recorded).
 */
export function trustDeferredExtraCa(file = globalThis.__TAPFLEET_DEFERRED_EXTRA_CA__): void {
	if (!file || installed) return;
	installed = true;
	const create = tls.createSecureContext;
	tls.createSecureContext = (options?: tls.SecureContextOptions) => create(options?.ca ? options : { ...options, ca: caWithExtra(file) });
}
