// Opening the audit log of one `tapfleet run` through agents. Kept apart from
// controller/dispatch/run-audit.ts (which loads gRPC) so that the run can
// start opening its log before it loads the fleet's code, reads keys or
// looks up its module: the connection (PostgreSQL: TCP, SCRAM, a query) is
// then mostly made before the dispatch's TLS handshakes take the event loop.
// (small, and loaded with this module: a kept log's connection starts without waiting for more code)
import { KeeperRunLog } from './keeper/run-client.js';
import { keeperPlace, spawnKeeper, type KeeperPlace } from './keeper/place.js';
import { parseAuditDb } from './location.js';
import { AuditOpenError } from './open-error.js';
import type { RunLog } from './run-log-api.js';

/**
 * A run's records after its write-ahead one wait up to this long to share
 * one commit (the hosts' loads arrive over tens of milliseconds); the end of
 * the run writes them at once. Bounds what a controller killed outright
 * loses (see group-commit.ts).
 */
const RECORD_BATCH_MS = 100;

/**
 * Starts opening a run's audit log (--audit-db; undefined: the default) and
 * returns at once. A failure is reported by the RunAudit that takes the
 * promise (run-audit.ts), once.
 *
 * A PostgreSQL log starts connecting at once: its connection mostly waits
 * on the network and the server. A SQLite log's open is synchronous work on
 * this thread (the native module, the file, the chain head): begun first it
 * only pushes everything behind it back (a one-host run's first line came
 * ~10 ms later), so it begins when `sqliteStart` resolves, which the caller
 * resolves once this thread would otherwise wait (the hosts' connections
 * under way, or the embedded agent starting).
 */
export function openRunAuditLog(auditDb: string | undefined, sqliteStart: Promise<void> = Promise.resolve()): Promise<RunLog> {
	// Runs of dead controllers are looked for after the run's write-ahead record, not before it;
	// a run's log needs one PostgreSQL connection (each costs a connect and its authentication).
	const open = () => openRunLog(auditDb, { batchMs: RECORD_BATCH_MS, connections: 1 });
	const atOnce = startsAtOnce(auditDb);
	if (!atOnce) logOpening().catch(() => {}); // its code loads while the caller goes on (a failure: the open says it)
	const log = atOnce ? open() : sqliteStart.then(open);
	log.catch(() => {}); // said once by the RunAudit, or moot for a run that stopped before dispatching
	return log;
}

function startsAtOnce(auditDb: string | undefined): boolean {
	try {
		return parseAuditDb(auditDb).kind === 'postgres';
	} catch {
		return true; // a bad --audit-db: openAuditLog says why, at once
	}
}

/** Closes a log from openRunAuditLog that no RunAudit took (the run stopped before dispatching). */
export function discardRunAuditLog(log: Promise<RunLog>): Promise<void> {
	return log.then(
		(l) => l.close(),
		() => {},
	);
}

/**
 * A run's log (run-log-api.ts), for one-shot commands that open it once:
 * through the log's audit keeper when one serves it (keeper/place.ts:
 * unless $TAPFLEET_AUDIT_KEEP is 0), which then makes the run's records
 * itself, so that this process loads none of the code that writes the log;
 * else opened here (runs of dead controllers are looked for after the
 * run's write-ahead record), and a keeper started once it is closed, for
 * the next run.
 */
export async function openRunLog(spec: string | undefined, options: { batchMs: number; connections?: number }): Promise<RunLog> {
	const target = parseAuditDb(spec);
	// a long-lived process (a warm runner) holds its logs itself
	if (holding) return (await import('./held-logs.js')).heldRunLog(target, options.batchMs);
	let place: KeeperPlace | undefined;
	try {
		place = keeperPlace(target);
	} catch (err) {
		throw new AuditOpenError((err as Error).message);
	}
	if (place) {
		try {
			return await KeeperRunLog.open(place.socketPath, target.kind, options.batchMs);
		} catch {
			// no keeper (yet), or one that cannot serve this log: opened here, which says why if it cannot be
		}
	}
	const { openAuditLog } = await logOpening();
	const log = await openAuditLog(spec, { ...options, recover: false });
	const keeping = place;
	if (keeping) log.whenClosed(() => spawnKeeper(target, keeping));
	return log;
}

let holding = false;

/**
 * From now on, this process holds its runs' logs open between runs
 * (held-logs.ts), instead of opening them (SQLite) or going through a keeper
 * (PostgreSQL) for each: for a long-lived process, the warm runner.
 */
export function holdAuditLogs(on = true): void {
	holding = on;
}

let opening: Promise<typeof import('./open.js')> | undefined;

/** The code that opens and writes a log in this process (not loaded by a run through the keeper). */
function logOpening(): Promise<typeof import('./open.js')> {
	opening ??= import('./open.js');
	return opening;
}

