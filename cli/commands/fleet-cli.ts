// Options and error reporting shared by the fleet commands (run, hosts, ps,
// attach, unload): --host and --pki, and one-line messages, never a stack.
// Nothing here loads gRPC: `tapfleet run -c` imports this and talks to no agent.
import type { Command } from 'commander';
import { collectHosts } from './host-list.js';

export { collectHosts } from './host-list.js';

export function addFleetOptions(cmd: Command, hostRequired = true): Command {
	const desc = 'agent to talk to: HOST:PORT (mTLS), unix:/PATH or plaintext://HOST:PORT, or @FILE with one per line (# comments); repeatable, each host once';
	return (hostRequired ? cmd.requiredOption('--host <URI>', desc, collectHosts, []) : cmd.option('--host <URI>', desc, collectHosts, [])).option(
		'--pki <DIR>',
		'PKI directory from `tapfleet keys init` (default: XDG config dir)',
	);
}

/** Runs a command body; expected failures become "tapfleet CMD: message" and exit status 1. */
export async function runCommand(name: string, body: () => Promise<number | void>): Promise<void> {
	try {
		const status = await body();
		if (typeof status === 'number') process.exitCode = status;
	} catch (e) {
		process.stderr.write(`tapfleet ${name}: ${(e as Error)?.message ?? String(e)}\n`);
		process.exitCode = 1;
	}
}
