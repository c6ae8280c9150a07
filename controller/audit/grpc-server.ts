// `tapfleet audit serve`: the AuditService on its own gRPC server. Mutual
// TLS with the controller's certificate (any client certificate from the
// same CA may read the audit), a unix socket for local readers, or plain
// TCP only when asked for.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { addAuditService } from './grpc-service.js';
import type { AuditLog } from './open.js';

export class AuditServeError extends Error {}

export interface ServerTlsFiles {
	ca: string;
	cert: string;
	key: string;
}

export interface ServeOptions {
	/** "HOST:PORT" or "unix:/path". */
	listen: string;
	tls?: ServerTlsFiles;
	plaintext?: boolean;
}

export interface RunningAuditServer {
	/** Where it listens, with the real port. */
	address: string;
	stop(): Promise<void>;
}

function readTlsFile(what: string, path: string): Buffer {
	try {
		return readFileSync(path);
	} catch (err) {
		throw new AuditServeError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
	}
}

function credentialsFor(opts: ServeOptions, unix: boolean): ServerCredentials {
	if (opts.tls) {
		const { ca, cert, key } = opts.tls;
		return ServerCredentials.createSsl(
			readTlsFile('CA certificate', ca),
			[{ cert_chain: readTlsFile('certificate', cert), private_key: readTlsFile('private key', key) }],
			true,
		);
	}
	if (unix || opts.plaintext) return ServerCredentials.createInsecure();
	throw new AuditServeError(`--listen ${opts.listen} needs TLS (--pki DIR) or an explicit --plaintext`);
}

export interface PreparedServe {
	listen: string;
	unixPath?: string;
	credentials: ServerCredentials;
	/** Mutual TLS: every client certificate of the CA gets through; agents' must not read. */
	checkCallers: boolean;
}

/** Checks the address and reads the TLS files, before anything is opened. */
export function prepareServe(opts: ServeOptions): PreparedServe {
	const unixPath = opts.listen.startsWith('unix:') ? opts.listen.slice('unix:'.length) : undefined;
	if (unixPath === undefined && !/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(opts.listen)) {
		throw new AuditServeError(`--listen ${JSON.stringify(opts.listen)}: expected HOST:PORT, [IPV6]:PORT or unix:/PATH`);
	}
	return { listen: opts.listen, unixPath, credentials: credentialsFor(opts, unixPath !== undefined), checkCallers: opts.tls !== undefined };
}

export async function serveAudit(audit: AuditLog, opts: ServeOptions | PreparedServe): Promise<RunningAuditServer> {
	const { listen, unixPath, credentials, checkCallers } = 'credentials' in opts ? opts : prepareServe(opts);
	// A socket left by a killed server would make bind fail.
	if (unixPath && existsSync(unixPath)) rmSync(unixPath);
	const server = new Server();
	addAuditService(server, audit, { checkCallers });
	const port = await new Promise<number>((resolve, reject) =>
		server.bindAsync(listen, credentials, (err, p) =>
			err ? reject(new AuditServeError(`cannot listen on ${listen}: ${err.message}`)) : resolve(p),
		),
	);
	const address = unixPath ? listen : listen.replace(/:\d+$/, `:${port}`);
	return {
		address,
		stop: () =>
			new Promise<void>((resolve) => {
				server.tryShutdown(() => resolve());
			}),
	};
}
