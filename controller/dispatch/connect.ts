// What every fleet command needs before it talks to agents: the hosts
// parsed, and client TLS material loaded only if some host needs mTLS.
import { existsSync } from 'node:fs';
import { defaultPkiDir } from '../pki/dirs.js';
import { loadClientTls, type ClientTls } from '../pki/credentials.js';
import { parseHostUri, type HostUri } from './host-uri.js';
import { AgentClient } from './agent-client.js';

export interface FleetConnection {
	hosts: HostUri[];
	tls?: ClientTls;
	pkiDir: string;
}

export function connectOptions(hostArgs: string[] | undefined, pkiDir: string | undefined): FleetConnection {
	const hosts = (hostArgs ?? []).map(parseHostUri);
	const dir = pkiDir ?? defaultPkiDir();
	const needsTls = hosts.some((h) => h.transport === 'mtls');
	if (needsTls && !existsSync(dir)) {
		throw new Error(`no PKI directory at ${dir}: run \`tapfleet keys init\` (or give --pki DIR)`);
	}
	return { hosts, pkiDir: dir, tls: needsTls ? loadClientTls(dir) : undefined };
}

export function clientsFor(conn: FleetConnection): AgentClient[] {
	return conn.hosts.map((h) => new AgentClient(h, conn.tls));
}
