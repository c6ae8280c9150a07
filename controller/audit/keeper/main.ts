// The audit keeper process (started by place.ts spawnKeeper): opens one
// audit log, keeps it open and serves it on a Unix socket to this user's
// runs until it has been idle for the configured time. Everything it has to
// say goes to its log file beside the socket; it has no terminal.
import { readStdinJson } from '../../util/read-stdin.js';
import { serviceLogger } from '../../util/service-log.js';
import { createBackend } from '../open.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import type { AuditBackend } from '../backend.js';
import type { KeeperConfig } from './place.js';
import { KEEPER_PROTOCOL, type KeeperHello } from './protocol.js';
import { KeeperAlreadyServingError, serveKeeper, type KeeperStop } from './server.js';

/** Connections a PostgreSQL log's keeper may hold (runs served at once). */
const POSTGRES_CONNECTIONS = 4;
/**
 * A client's hello re-checks the log's schema when the last check is older
 * than this: a newer tapfleet may have migrated it meanwhile, and the
 * client then opens the log itself and says why it cannot (a run through
 * the keeper does not ask again).
 */
const SCHEMA_RECHECK_MS = 10_000;
/** Bound on the configuration read from standard input. */
const MAX_CONFIG_BYTES = 64 * 1024;

const STOP_REASONS: Record<KeeperStop, string> = {
	idle: 'idle',
	'socket-gone': 'its socket was removed or taken over',
	stopped: 'signalled',
};

process.umask(0o077); // the socket and the log file: this user's only
process.title = 'tapfleet-audit-keeper'; // what ps and top show (docs/audit.md, "The audit keeper")

async function readConfig(): Promise<KeeperConfig> {
	const c = (await readStdinJson(MAX_CONFIG_BYTES)) as KeeperConfig;
	if (typeof c?.place?.socketPath !== 'string' || typeof c.place.logPath !== 'string' || typeof c.place.idleMs !== 'number') throw new Error('bad configuration');
	if (c.target?.kind !== 'sqlite' && c.target?.kind !== 'postgres') throw new Error('bad configuration: unknown log kind');
	return c;
}

async function main(): Promise<number> {
	const config = await readConfig();
	const log = serviceLogger(config.place.logPath, 'keeper');
	process.on('uncaughtException', (err) => {
		log(`stopped: ${err.stack ?? err.message}`);
		process.exit(1);
	});
	let backend: AuditBackend | undefined;
	const stop = new AbortController();
	for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => stop.abort());
	try {
		backend = await createBackend(config.target, { connections: POSTGRES_CONNECTIONS, keepIdle: true });
		const open = backend;
		await open.migrate();
		log(`opened ${open.location}`);
		let checkedAt = Date.now();
		const hello = async (): Promise<KeeperHello> => {
			if (Date.now() - checkedAt > SCHEMA_RECHECK_MS) {
				await open.migrate();
				checkedAt = Date.now();
			}
			return { protocol: KEEPER_PROTOCOL, schemaVersion: LATEST_SCHEMA_VERSION, kind: open.kind, location: open.location, pid: process.pid };
		};
		const why = await serveKeeper(open, {
			socketPath: config.place.socketPath,
			idleMs: config.place.idleMs,
			hello,
			log,
			stop: stop.signal,
		});
		log(`stopped: ${STOP_REASONS[why]}`);
		return 0;
	} catch (err) {
		if (err instanceof KeeperAlreadyServingError) return 0; // another keeper won the race: nothing to say
		log(`stopped: ${(err as Error).message}`);
		return 1;
	} finally {
		await backend?.close().catch(() => {});
	}
}

process.exit(await main().catch(() => 1));
