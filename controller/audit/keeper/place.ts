// Where a log's audit keeper listens, whether runs use one, and starting one.
//
// One keeper per log (and per keeper protocol and schema version, so a
// tapfleet of another version never talks to it), per user: its socket is
// in a 0700 directory under the user's state directory, named by a hash of
// what identifies the log (the PostgreSQL URL with its password, or the
// SQLite file's path), so the name says nothing of either.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateDir } from '../../util/private-dir.js';
import { tapfleetStateDir, type AuditDbTarget } from '../location.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import { KEEPER_KINDS } from './kinds.js';
import { KEEPER_PROTOCOL } from './protocol.js';

/** The environment variable that sets how long a keeper stays after its last run (seconds; 0: runs open the log themselves). */
export const KEEP_ENV = 'TAPFLEET_AUDIT_KEEP';
export const DEFAULT_KEEP_SECONDS = 300;
export const MAX_KEEP_SECONDS = 24 * 3600;

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export class KeepSettingError extends Error {}

export interface KeeperPlace {
	socketPath: string;
	/** The keeper's own log (start, stop and why, errors). */
	logPath: string;
	idleMs: number;
}

/** $TAPFLEET_AUDIT_KEEP in seconds: unset means the default; anything but a whole number in range is an error. */
export function keepSeconds(env: NodeJS.ProcessEnv = process.env): number {
	const given = env[KEEP_ENV];
	if (given === undefined || given === '') return DEFAULT_KEEP_SECONDS;
	if (!/^\d+$/.test(given) || Number(given) > MAX_KEEP_SECONDS) {
		throw new KeepSettingError(`${KEEP_ENV}=${given}: give the seconds an audit keeper stays after the last run, 0 to ${MAX_KEEP_SECONDS} (0: no keeper)`);
	}
	return Number(given);
}

/** What makes two logs the same log, for the socket's name. */
function identity(target: AuditDbTarget): string {
	return target.kind === 'sqlite' ? `sqlite:${target.path}` : `postgres:${target.url}#${target.schema ?? ''}`;
}

/**
 * Where the keeper of this log listens, or undefined when runs open the log
 * themselves: a kind of log without keepers, keeping turned off, a state
 * directory that cannot be made private to this user, or a socket path too
 * long for Unix sockets.
 */
export function keeperPlace(target: AuditDbTarget, env: NodeJS.ProcessEnv = process.env): KeeperPlace | undefined {
	if (!KEEPER_KINDS.has(target.kind)) return undefined;
	const seconds = keepSeconds(env);
	if (seconds === 0) return undefined;
	const dir = join(tapfleetStateDir(env), 'keepers');
	if (!privateDir(dir)) return undefined;
	const name = createHash('sha256').update(JSON.stringify([KEEPER_PROTOCOL, LATEST_SCHEMA_VERSION, identity(target)])).digest('hex').slice(0, 32);
	const socketPath = join(dir, `${name}.sock`);
	if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) return undefined;
	return { socketPath, logPath: join(dir, `${name}.log`), idleMs: seconds * 1000 };
}

/** What the keeper process reads from its standard input. */
export interface KeeperConfig {
	target: AuditDbTarget;
	place: KeeperPlace;
}

const KEEPER_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * Starts a keeper for this log in the background and returns at once. Its
 * configuration (the URL may hold a password) goes through a pipe, not its
 * command line or environment. It outlives this process (its own session,
 * no terminal, no inherited output: a CI job or a shell waiting on our
 * output does not wait for it) and stops by itself once idle.
 */
export function spawnKeeper(target: AuditDbTarget, place: KeeperPlace): void {
	// Loaded here, synchronously (the process may be about to exit): only a run that had no keeper needs it.
	const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
	const child = spawn(process.execPath, [KEEPER_MAIN], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
	child.on('error', () => {}); // no keeper: runs keep opening the log themselves
	child.stdin!.on('error', () => {});
	child.stdin!.end(JSON.stringify({ target, place } satisfies KeeperConfig));
	child.unref();
}
