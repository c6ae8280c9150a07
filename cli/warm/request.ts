// A client's request to a warm runner, checked field by field before the
// runner acts on any of it.
import { type TerminalInfo, type WarmRequest } from './protocol.js';
import { VOLATILE_ENV } from './place.js';
import { runsWarm } from './runs-warm.js';

/**
 * A request older than this is not run: its client waits 5 s for an answer
 * (client.ts, main.c ACCEPT_TIMEOUT_MS), then runs the command itself. A
 * runner that was stopped (SIGSTOP) finds such requests in its socket when
 * it goes on; run, the command would run twice.
 */
export const STALE_REQUEST_MS = 4000;

/** Bound on the words of a command line (Linux's own limit on its bytes is ~2 MiB: MAX_FRAME_BYTES). */
const MAX_ARGS = 100_000;


/** The request, or why it is refused (the client then runs the command itself). */
export function checkRequest(payload: Buffer, fingerprint: string): WarmRequest | string {
	let r: WarmRequest;
	try {
		r = JSON.parse(payload.toString('utf8')) as WarmRequest;
	} catch {
		return 'a request that is not JSON';
	}
	if (typeof r !== 'object' || r === null) return 'a malformed request';
	if (!Number.isSafeInteger(r.clientPid) || r.clientPid <= 0) return 'a malformed client pid';
	if (!Number.isSafeInteger(r.sentAtMs)) return 'a malformed time';
	if (Date.now() - r.sentAtMs > STALE_REQUEST_MS) return 'a request its client has given up on';
	if (!Array.isArray(r.argv) || r.argv.length < 3 || r.argv.length > MAX_ARGS || !r.argv.every((a) => typeof a === 'string')) return 'a malformed command line';
	if (r.argv[2] !== 'run') return 'only `tapfleet run` runs warm';
	if (typeof r.cwd !== 'string' || !r.cwd.startsWith('/')) return 'a malformed working directory';
	if (r.fingerprint !== fingerprint) return 'another environment';
	if (!Number.isSafeInteger(r.umask) || r.umask < 0 || r.umask > 0o777) return 'a malformed umask';
	if (typeof r.volatileEnv !== 'object' || r.volatileEnv === null) return 'a malformed environment';
	for (const [k, v] of Object.entries(r.volatileEnv)) if (!(VOLATILE_ENV as readonly string[]).includes(k) || typeof v !== 'string') return `a variable that is not passed per run: ${k}`;
	if (!terminal(r.stdout) || !terminal(r.stderr)) return 'malformed terminal settings';
	if (typeof r.spawns !== 'boolean') return 'a malformed request';
	if (!runsWarm(r.argv, r.spawns)) return r.spawns ? 'a script from stdin is read by its own process' : 'this client does not start -c commands, nor read a script from stdin';
	return r;
}

function terminal(t: TerminalInfo): boolean {
	const size = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) > 0 && (n as number) < 100_000);
	return typeof t === 'object' && t !== null && typeof t.isTTY === 'boolean' && size(t.columns) && size(t.rows);
}
