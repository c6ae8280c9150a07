// tapfleet's directory under the user's state directory (XDG): the audit
// log, the audit keepers' and warm runners' sockets. No imports beyond
// Node's, so the CLI's earliest code (cli/warm/client.ts) can use it.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function tapfleetStateDir(env: NodeJS.ProcessEnv = process.env): string {
	const xdg = env.XDG_STATE_HOME;
	// The XDG spec says to ignore a relative XDG_STATE_HOME.
	const stateHome = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
	return join(stateHome, 'tapfleet');
}
