// The agent's mutual-TLS server credentials: what grpc-js's
// ServerCredentials.createSsl(ca, [{cert, key}], true) builds (a client
// certificate is required and verified against the CA; the cipher list
// from GRPC_SSL_CIPHER_SUITES is honoured), with one difference: no
// stateless session tickets.
//
// A TLS 1.3 server sends session tickets after every handshake; a
// stateless ticket holds the whole session, client certificate included,
// and OpenSSL 3 makes it by serialising the session and parsing it back,
// setting up its key decoders for the certificate each time. No tapfleet
// controller resumes a session (every run opens new connections), so
// that work was for nothing: about one-tenth of an agent's CPU per run.
// With SSL_OP_NO_TICKET the ticket is a bare session id that resumes
// nothing (Node's server keeps no session cache), and every connection
// gets the full handshake with the client certificate's verification.
import { ServerCredentials } from '@grpc/grpc-js';
import { constants } from 'node:crypto';

class MutualTlsServerCredentials extends ServerCredentials {
	constructor(ca: Buffer, cert: Buffer, key: Buffer) {
		super(
			{ requestCert: true, rejectUnauthorized: true, ciphers: process.env.GRPC_SSL_CIPHER_SUITES, secureOptions: constants.SSL_OP_NO_TICKET },
			{ ca, cert: [cert], key: [key] },
		);
	}

	_equals(other: ServerCredentials): boolean {
		return other === this;
	}
}

export function mutualTlsServerCredentials(ca: Buffer, cert: Buffer, key: Buffer): ServerCredentials {
	return new MutualTlsServerCredentials(ca, cert, key);
}
