// How a host is named on the command line:
//   HOST:PORT              mutual TLS (the default)
//   unix:/PATH             a local agent's unix socket
//   plaintext://HOST:PORT  plain TCP, only for agents started with --plaintext
export type HostTransport = 'mtls' | 'unix' | 'plaintext';

export interface HostUri {
	/** As the user wrote it: the label in prefixes and messages. */
	label: string;
	transport: HostTransport;
	/** The grpc-js target. */
	target: string;
}

export class HostUriError extends Error {}

const HOST_PORT_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/;

export function parseHostUri(text: string): HostUri {
	if (text.startsWith('unix:')) {
		const path = text.slice('unix:'.length);
		if (!path.startsWith('/')) throw new HostUriError(`host ${JSON.stringify(text)}: a unix socket needs an absolute path (unix:/run/tapfleet.sock)`);
		return { label: text, transport: 'unix', target: `unix:${path}` };
	}
	if (text.startsWith('plaintext://')) {
		const hp = text.slice('plaintext://'.length);
		if (!HOST_PORT_RE.test(hp)) throw new HostUriError(`host ${JSON.stringify(text)}: expected plaintext://HOST:PORT`);
		return { label: text, transport: 'plaintext', target: hp };
	}
	if (!HOST_PORT_RE.test(text)) throw new HostUriError(`host ${JSON.stringify(text)}: expected HOST:PORT, unix:/PATH or plaintext://HOST:PORT`);
	return { label: text, transport: 'mtls', target: text };
}
