// Opening the audit log of one `tapfleet run` through agents. Kept apart from
// controller/dispatch/run-audit.ts (which loads gRPC) so that the run can
// start opening its log before it loads the fleet's code, reads keys or
// looks up its module: the connection (PostgreSQL: TCP, SCRAM, a query) is
// then mostly made before the dispatch's TLS handshakes take the event loop.
import { parseAuditDb } from './location.js';
import { openAuditLog, type AuditLog } from './open.js';

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
export function openRunAuditLog(auditDb: string | undefined, sqliteStart: Promise<void> = Promise.resolve()): Promise<AuditLog> {
	// Runs of dead controllers are looked for after the run's write-ahead record, not before it;
	// a run's log needs one PostgreSQL connection (each costs a connect and its authentication).
	const open = () => openAuditLog(auditDb, { recover: false, batchMs: RECORD_BATCH_MS, connections: 1, keeper: true });
	const log = startsAtOnce(auditDb) ? open() : sqliteStart.then(open);
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
export function discardRunAuditLog(log: Promise<AuditLog>): Promise<void> {
	return log.then(
		(l) => l.close(),
		() => {},
	);
}
