// A network namespace joined to this one by a veth pair, so an agent can
// live on its own address with test traffic staying on this machine.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetNs {
	name: string;
	/** The namespace's address (the agent side). */
	address: string;
	hostAddress: string;
	remove(): void;
}

function ip(...args: string[]): void {
	execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates namespace tf-XXXX with 10.R.S.2/30 inside and 10.R.S.1/30 here. */
export function createNetNs(): NetNs {
	const tag = randomBytes(3).toString('hex');
	const name = `tf-${tag}`;
	const outer = `tfo${tag}`;
	const inner = `tfi${tag}`;
	const b = randomBytes(2);
	const subnet = `10.${100 + (b[0] % 100)}.${b[1]}`;
	const hostAddress = `${subnet}.1`;
	const address = `${subnet}.2`;
	ip('netns', 'add', name);
	try {
		ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
		ip('link', 'set', inner, 'netns', name);
		ip('addr', 'add', `${hostAddress}/30`, 'dev', outer);
		ip('link', 'set', outer, 'up');
		ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', inner);
		ip('-n', name, 'link', 'set', inner, 'up');
		ip('-n', name, 'link', 'set', 'lo', 'up');
	} catch (e) {
		ip('netns', 'del', name);
		throw e;
	}
	return {
		name,
		address,
		hostAddress,
		remove() {
			try {
				ip('link', 'del', outer);
			} catch {
				/* went with the namespace */
			}
			ip('netns', 'del', name);
		},
	};
}
