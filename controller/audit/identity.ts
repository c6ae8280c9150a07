// How the audit names who did something.
import { hostname, userInfo } from 'node:os';

/** The identity in a client certificate (its subject CN, or its SAN), as the agent saw it. */
export function identityFromCertificate(name: string): string {
	return `cert:${name}`;
}

/** The local user running the controller, for local runs and the CLI. */
export function localIdentity(): string {
	let user: string;
	try {
		user = userInfo().username;
	} catch {
		user = process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
	}
	return `user:${user}@${hostname()}`;
}
