// PostgreSQL's SCRAM-SHA-256 login without a turn of the event loop per step.
//
// pg computes the SCRAM proof with WebCrypto (pg/lib/crypto/utils.js): the
// PBKDF2, then four HMACs and a digest, each an async job on the thread
// pool whose answer waits for a turn of the event loop. A run opens its log
// while the same loop does ten agents' TLS handshakes, so each of those
// turns came several milliseconds late: six turns on top of the login's
// three round trips, in the 57 ms the log took to open.
// The same functions computed with node:crypto's synchronous calls (PBKDF2
// of PostgreSQL's default 4096 iterations: ~0.8 ms here) give the same bytes
// at once. pg calls them through that module's exports object, so replacing
// them there is enough; if a later pg moves them, nothing is replaced and pg
// works as before.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';

type Bytes = ArrayBuffer | Uint8Array;

interface PgCryptoUtils {
	deriveKey?: (password: string, salt: Uint8Array, iterations: number) => Promise<Bytes>;
	hmacSha256?: (key: Bytes, msg: string) => Promise<Bytes>;
	sha256?: (data: Bytes) => Promise<Bytes>;
}

const asBuffer = (b: Bytes) => (b instanceof Uint8Array ? b : new Uint8Array(b));

let done = false;

/** Makes pg's SCRAM steps synchronous (same results); idempotent. */
export function useSynchronousScram(): void {
	if (done) return;
	done = true;
	let utils: PgCryptoUtils;
	try {
		utils = createRequire(import.meta.url)('pg/lib/crypto/utils.js') as PgCryptoUtils;
	} catch {
		return; // not where pg 8 keeps it: pg's own WebCrypto path stays
	}
	if (typeof utils.deriveKey !== 'function' || typeof utils.hmacSha256 !== 'function' || typeof utils.sha256 !== 'function') return;
	// The password as pg passes it (already SASLprep-normalised) is encoded as UTF-8 by both.
	utils.deriveKey = async (password, salt, iterations) => pbkdf2Sync(password, salt, iterations, 32, 'sha256');
	utils.hmacSha256 = async (key, msg) => createHmac('sha256', asBuffer(key)).update(msg, 'utf8').digest();
	utils.sha256 = async (data) => createHash('sha256').update(asBuffer(data)).digest();
}
