// Where a warm runner listens, and whether runs use one.
//
// One runner per user, per build of tapfleet's code and per environment: its
// socket is in a 0700 directory under the user's state directory, named by a
// hash of the protocol, the code's identity (bin/tapfleet: which build it
// would run) and the environment's fingerprint. A run in another environment
// (another XDG_STATE_HOME, TAPFLEET_AUDIT_DB, PATH, ...) or from a rebuilt
// tapfleet finds no runner under its name and starts its own, so a runner
// never runs a command with settings other than those it was started with,
// whatever its code read from the environment while it loaded.
// Imports nothing of tapfleet's but the state directory: the client runs
// this before the CLI loads.
import { join } from 'node:path';
import { tapfleetStateDir } from '../../controller/util/state-dir.js';
import { hash128 } from './hash.js';

/** The environment variable that sets how long a warm runner stays after its last run (seconds; 0: none). */
export const WARM_ENV = 'TAPFLEET_WARM_KEEP';
export const DEFAULT_WARM_SECONDS = 300;
export const MAX_WARM_SECONDS = 24 * 3600;

/** The environment variable that sets how many runs a runner serves before it stops (a new one takes over): what a long-lived process may accumulate stays bounded. */
export const WARM_RUNS_ENV = 'TAPFLEET_WARM_RUNS';
export const DEFAULT_WARM_RUNS = 1000;
export const MAX_WARM_RUNS = 1_000_000;

/** Variables a shell changes from one command to the next: not part of the fingerprint, passed with each run instead. */
export const VOLATILE_ENV = ['PWD', 'OLDPWD', 'SHLVL', '_'] as const;

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export class WarmSettingError extends Error {}

export interface RunnerPlace {
	dir: string;
	socketPath: string;
	/** The runner's own log (start, stop and why, errors). */
	logPath: string;
	idleMs: number;
	/** Runs served before it stops. */
	maxRuns: number;
	fingerprint: string;
}

/** $TAPFLEET_WARM_KEEP in seconds: unset means the default; anything but a whole number in range is an error. */
export function warmSeconds(env: NodeJS.ProcessEnv): number {
	const given = env[WARM_ENV];
	if (given === undefined || given === '') return DEFAULT_WARM_SECONDS;
	if (!/^\d+$/.test(given) || Number(given) > MAX_WARM_SECONDS) {
		throw new WarmSettingError(`${WARM_ENV}=${given}: give the seconds a warm runner stays after the last run, 0 to ${MAX_WARM_SECONDS} (0: no runner)`);
	}
	return Number(given);
}

/** $TAPFLEET_WARM_RUNS: unset means the default; anything but a whole number in range is an error. */
export function warmRuns(env: NodeJS.ProcessEnv): number {
	const given = env[WARM_RUNS_ENV];
	if (given === undefined || given === '') return DEFAULT_WARM_RUNS;
	if (!/^\d+$/.test(given) || Number(given) < 1 || Number(given) > MAX_WARM_RUNS) {
		throw new WarmSettingError(`${WARM_RUNS_ENV}=${given}: give the runs a warm runner serves before a new one takes over, 1 to ${MAX_WARM_RUNS}`);
	}
	return Number(given);
}

/**
 * A hash of the environment but its volatile variables, and of the user, as
 * bytes runtime-c/warm/ makes the same way: the uid and a NUL, then each
 * variable as KEY=VALUE and a NUL, in the byte order of their names. (A
 * value that is not UTF-8 reaches Node altered, so the C client's hash of
 * it differs: such an environment's runs go the JS client's way.)
 */
export function envFingerprint(env: NodeJS.ProcessEnv): string {
	const volatile: ReadonlySet<string> = new Set(VOLATILE_ENV);
	const entries = Object.entries(env)
		.filter(([k, v]) => v !== undefined && !volatile.has(k))
		.map(([k, v]) => [Buffer.from(k), Buffer.from(`${k}=${v}\0`)] as const)
		.sort(([a], [b]) => Buffer.compare(a, b));
	return hash128(Buffer.concat([Buffer.from(`${process.getuid?.() ?? ''}\0`), ...entries.map(([, kv]) => kv)]));
}

/** Where this environment's runner for this code listens, or undefined when runs start none (turned off, or a path too long for a socket). */
export function runnerPlace(codeIdentity: string, env: NodeJS.ProcessEnv, protocol: number): RunnerPlace | undefined {
	const seconds = warmSeconds(env);
	if (seconds === 0) return undefined;
	const maxRuns = warmRuns(env);
	const dir = join(tapfleetStateDir(env), 'runners');
	const fingerprint = envFingerprint(env);
	const name = hash128(Buffer.from(`${protocol}\0${codeIdentity}\0${fingerprint}`));
	const socketPath = join(dir, `${name}.sock`);
	if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) return undefined;
	return { dir, socketPath, logPath: join(dir, `${name}.log`), idleMs: seconds * 1000, maxRuns, fingerprint };
}
