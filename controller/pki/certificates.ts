// X.509 certificates for mutual TLS: a CA, and leaf certificates for
// controllers, observers and agents. ECDSA P-256 with SHA-256: every TLS
// stack accepts it, and it is quick to generate.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { ROLE_OU, type Role } from './identity.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
const LEAF_YEARS = 2;

export interface PemPair {
	certPem: string;
	keyPem: string;
}

function serial(): string {
	// Positive 128-bit serial (high bit clear).
	const b = randomBytes(16);
	b[0] &= 0x7f;
	return b.toString('hex');
}

function validity(years: number): { notBefore: Date; notAfter: Date } {
	const notBefore = new Date(Date.now() - 5 * 60 * 1000); // tolerate small clock skew
	const notAfter = new Date(notBefore);
	notAfter.setFullYear(notAfter.getFullYear() + years);
	return { notBefore, notAfter };
}

/** RFC 4514 attribute values: escape what would end or split the value. */
function dnValue(v: string): string {
	return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
	const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
	const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
	return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
	const b64 = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
	return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), ALGORITHM, true, ['sign'])) as unknown as CryptoKey;
}

async function generateKeys(): Promise<CryptoKeyPair> {
	return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

export async function createCa(commonName: string): Promise<PemPair> {
	const keys = await generateKeys();
	const cert = await x509.X509CertificateGenerator.createSelfSigned({
		serialNumber: serial(),
		name: `CN=${dnValue(commonName)}, O=tapfleet`,
		...validity(CA_YEARS),
		keys,
		signingAlgorithm: ALGORITHM,
		extensions: [
			new x509.BasicConstraintsExtension(true, 0, true),
			new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
			await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
		],
	});
	return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

export interface LeafRequest {
	commonName: string;
	role: Role;
	/** Subject alternative names: DNS names and IP addresses (agents are servers). */
	altNames?: string[];
}

/** Issues a leaf certificate signed by the CA; usable as TLS client and server. */
export async function issueLeaf(ca: PemPair, req: LeafRequest): Promise<PemPair> {
	const caCert = new x509.X509Certificate(ca.certPem);
	const caKey = await importKeyPem(ca.keyPem);
	const keys = await generateKeys();
	const altNames = (req.altNames ?? []).map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }));
	const extensions: x509.Extension[] = [
		new x509.BasicConstraintsExtension(false, undefined, true),
		new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
		new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
		await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
		await x509.AuthorityKeyIdentifierExtension.create(caCert),
	];
	if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
	const cert = await x509.X509CertificateGenerator.create({
		serialNumber: serial(),
		subject: `CN=${dnValue(req.commonName)}, OU=${ROLE_OU[req.role]}, O=tapfleet`,
		issuer: caCert.subject,
		...validity(LEAF_YEARS),
		signingKey: caKey,
		publicKey: keys.publicKey,
		signingAlgorithm: ALGORITHM,
		extensions,
	});
	return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}
