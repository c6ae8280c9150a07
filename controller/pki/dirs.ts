// Default directories, following the XDG base directory specification, so
// that a user who ran `tapfleet keys init` once can leave --pki out.
import { homedir } from 'node:os';
import { join } from 'node:path';

function xdg(variable: string, fallback: string): string {
	const value = process.env[variable];
	// The spec says relative paths in these variables are invalid: ignore them.
	return value && value.startsWith('/') ? value : join(homedir(), fallback);
}

/** Keys and certificates: $XDG_CONFIG_HOME/tapfleet/pki. */
export function defaultPkiDir(): string {
	return join(xdg('XDG_CONFIG_HOME', '.config'), 'tapfleet', 'pki');
}

/** The agent's journal and session files: $XDG_STATE_HOME/tapfleet/agent. */
export function defaultAgentStateDir(): string {
	return join(xdg('XDG_STATE_HOME', '.local/state'), 'tapfleet', 'agent');
}

/** Compiled modules and kernel profiles: $XDG_CACHE_HOME/tapfleet. */
export function defaultCacheDir(): string {
	return join(xdg('XDG_CACHE_HOME', '.cache'), 'tapfleet');
}
