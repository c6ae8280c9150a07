// A run's log through the audit keeper (run-log-api.ts RunLog): each step
// of the run is one request, and the keeper's own AuditWriter makes the
// records (keeper/run-session.ts), for this process. What a step promises
// is unchanged: the write-ahead record settles once the keeper has
// committed and flushed it; every other record once committed.
import { thisController } from '../controller-process.js';
import type { AfterWriteAhead, RunLog, RunRecording } from '../run-log-api.js';
import type { AgentJournalEntry, CompileRecord, DispatchRecord, HostEnded, HostLoaded, ImportSummary, RefusalRecord } from '../types.js';
import { KeeperConnection, REQUEST_TIMEOUT_MS } from './connection.js';

class KeeperRunRecording implements RunRecording {
	constructor(
		private readonly conn: KeeperConnection,
		readonly runId: string,
	) {}

	async hostLoaded(host: string, loaded: HostLoaded): Promise<void> {
		await this.conn.call('run.hostLoaded', [this.runId, host, loaded]);
	}

	async hostEnded(host: string, ended: HostEnded): Promise<void> {
		await this.conn.call('run.hostEnded', [this.runId, host, ended]);
	}

	async hostRefused(host: string, reason: RefusalRecord['reason'], message: string, moduleHash?: string): Promise<void> {
		await this.conn.call('run.hostRefused', [this.runId, host, reason, message, moduleHash ?? null]);
	}

	async finish(): Promise<void> {
		await this.conn.call('run.finish', [this.runId]);
	}
}

export class KeeperRunLog implements RunLog {
	readonly throughKeeper = true;

	private constructor(private readonly conn: KeeperConnection) {}

	/** Where the log lives, as the keeper names it (a file, or a URL without its password). */
	get location(): string {
		return this.conn.location;
	}

	/**
	 * A run session with the keeper at `socketPath` (throws
	 * KeeperUnavailableError when none serves a log of `kind` there);
	 * `timeoutMs` bounds each request.
	 */
	static async open(socketPath: string, kind: 'sqlite' | 'postgres', batchMs: number, timeoutMs = REQUEST_TIMEOUT_MS): Promise<KeeperRunLog> {
		const { conn, first } = await KeeperConnection.connectWith(socketPath, kind, { op: 'run.open', args: [thisController(), batchMs] }, timeoutMs);
		try {
			await first;
		} catch (err) {
			await conn.close();
			throw err;
		}
		return new KeeperRunLog(conn);
	}

	async recordCompile(rec: CompileRecord): Promise<void> {
		await this.conn.call('run.recordCompile', [rec]);
	}

	async beginDispatch(rec: DispatchRecord): Promise<RunRecording> {
		const { runId } = (await this.conn.call('run.beginDispatch', [rec])) as { runId: string };
		return new KeeperRunRecording(this.conn, runId);
	}

	afterWriteAhead(hosts: readonly string[], nowMs: number): AfterWriteAhead {
		const due = this.conn.call('run.importsDue', [hosts, nowMs]) as Promise<string[]>;
		return { importsDue: due.then((hostsDue) => new Set(hostsDue)), recovered: this.conn.call('run.recovered', []) as Promise<string[]> };
	}

	importAgentJournal(host: string, entries: AgentJournalEntry[]): Promise<ImportSummary> {
		return this.conn.call('run.importAgentJournal', [host, entries]) as Promise<ImportSummary>;
	}

	async noteJournalImports(hosts: readonly string[]): Promise<void> {
		await this.conn.call('run.noteJournalImports', [hosts]);
	}

	async endBatching(): Promise<void> {
		await this.conn.call('run.endBatching', []);
	}

	async close(): Promise<void> {
		try {
			await this.conn.call('run.close', []);
		} finally {
			await this.conn.close();
		}
	}
}
