// The audit log's writing side: what the controller calls around each action.
// Every start is written (and committed) before the action; every completion
// is a new row, so a crash in between leaves a visibly incomplete run.
import { newRunId } from './run-id.js';
import type { AuditBackend, RunChecks } from './backend.js';
import { parseBody, type CompileBody, type DispatchBody, type InterruptedBody, type RefusalBody } from './bodies.js';
import { controllerIsGone, describeController, thisController, type ControllerTag } from './controller-process.js';
import { makeEvent, sha256Hex, type EventRow } from './event.js';
import { GroupCommit } from './group-commit.js';
import { DISPATCH_RUN_ID_INDEX } from './migrations.js';
import { importAgentJournal } from './journal-import.js';
import {
	AuditInputError,
	boundMessage,
	checkIdentifier,
	checkOneOf,
	checkOptionalIdentifier,
	checkScriptText,
	LIMITS,
	optionsJson,
} from './limits.js';
import { RunRecorder } from './run-recorder.js';
import type { AfterWriteAhead } from './run-log-api.js';
import { foldRun } from './runs.js';
import {
	REFUSAL_REASONS,
	type AgentJournalEntry,
	type CompileRecord,
	type DispatchRecord,
	type HostState,
	type ImportSummary,
	type RefusalRecord,
} from './types.js';

/** Runs older than this are not examined when looking for dead controllers. */
const RECOVERY_WINDOW_MS = 7 * 24 * 3600 * 1000;

/**
 * A host's agent journal is imported by a run at most this often (any
 * controller writing to the log counts), unless the log holds an interrupted
 * run on that host still waiting for the end of its session there.
 */
export const JOURNAL_IMPORT_INTERVAL_MS = 60_000;

/** Interrupted runs examined when deciding which hosts' journals to import. */
const INTERRUPTED_RUNS_EXAMINED = 1000;

/** Host states that need nothing more from the agent's journal. */
const ENDED: ReadonlySet<HostState> = new Set(['ended', 'refused']);

export { newRunId };

export class AuditWriter {
	protected readonly appender: GroupCommit;

	/**
	 * @param batchMs how long records other than write-ahead ones may wait to share a commit (group-commit.ts)
	 * @param controller the process whose runs these are (the audit keeper writes for the run that asked)
	 */
	constructor(
		protected readonly backend: AuditBackend,
		batchMs = 0,
		readonly controller: ControllerTag = thisController(),
	) {
		this.appender = new GroupCommit(backend, batchMs);
	}

	/** Commits every record made so far, and every later one, at once (a run's records may otherwise wait up to batchMs). */
	endBatching(): Promise<void> {
		return this.appender.endBatching();
	}

	/** Settles once every record made so far is committed. */
	flush(): Promise<void> {
		return this.appender.flush();
	}

	async recordCompile(rec: CompileRecord): Promise<void> {
		const scriptText = checkScriptText(rec.scriptText);
		const body: CompileBody = {
			scriptText,
			moduleHash: checkIdentifier('module hash', rec.moduleHash),
			targetBuildId: checkIdentifier('target build-id', rec.targetBuildId),
			targetRelease: checkIdentifier('target release', rec.targetRelease),
			runtime: checkIdentifier('runtime', rec.runtime),
			toolVersions: Object.fromEntries(
				Object.entries(rec.toolVersions ?? {}).map(([k, v]) => [checkIdentifier('tool name', k), checkIdentifier(`version of ${k}`, v)]),
			),
		};
		await this.appender.append([
			makeEvent({ kind: 'compile', who: checkIdentifier('who', rec.who), scriptHash: scriptHashOf(rec.scriptHash, scriptText), body }),
		]);
	}

	/**
	 * Write-ahead record of a run: the dispatch and one pending row per host,
	 * committed together before anything is sent to any agent.
	 */
	async beginDispatch(rec: DispatchRecord): Promise<RunRecorder> {
		const runId = rec.runId === undefined ? newRunId() : checkIdentifier('run id', rec.runId);
		const who = checkIdentifier('who', rec.who);
		if (!Array.isArray(rec.hosts) || rec.hosts.length === 0) throw new AuditInputError('a dispatch needs at least one host');
		if (rec.hosts.length > LIMITS.hostsPerDispatch) throw new AuditInputError(`a dispatch may name at most ${LIMITS.hostsPerDispatch} hosts`);
		const hosts = rec.hosts.map((h) => checkIdentifier('host', h));
		if (new Set(hosts).size !== hosts.length) throw new AuditInputError('a dispatch names the same host twice');
		const scriptText = checkScriptText(rec.scriptText);
		const scriptHash = scriptHashOf(rec.scriptHash, scriptText);
		const body: DispatchBody = {
			hosts,
			moduleHash: checkIdentifier('module hash', rec.moduleHash),
			scriptText,
			options: JSON.parse(optionsJson(rec.options)),
			controller: this.controller,
		};
		const atMs = Date.now();
		try {
			await this.appender.append(
				[
					makeEvent({ kind: 'dispatch', runId, who, scriptHash, body, atMs }),
					...hosts.map((host) => makeEvent({ kind: 'host-pending', runId, host, who, scriptHash, body: {}, atMs })),
				],
				{ durable: true },
			);
		} catch (err) {
			if (violatesIndex(err, DISPATCH_RUN_ID_INDEX)) throw new AuditInputError(`run id ${runId} is already in the audit log`);
			throw err;
		}
		return new RunRecorder(this.appender, runId, who, scriptHash, hosts);
	}

	async recordRefusal(rec: RefusalRecord): Promise<void> {
		const body: RefusalBody = {
			reason: checkOneOf('refusal reason', rec.reason, REFUSAL_REASONS),
			message: boundMessage(rec.message) ?? '',
			...(rec.moduleHash ? { moduleHash: checkIdentifier('module hash', rec.moduleHash) } : {}),
		};
		await this.appender.append([
			makeEvent({
				kind: 'refusal',
				runId: checkOptionalIdentifier('run id', rec.runId),
				host: checkOptionalIdentifier('host', rec.host),
				who: checkIdentifier('who', rec.who),
				scriptHash: checkOptionalIdentifier('script hash', rec.scriptHash),
				body,
			}),
		]);
	}

	/**
	 * Imports an agent's journal of loads and unloads (idempotent); loads that
	 * no controller record explains are flagged. See journal-import.ts.
	 */
	importAgentJournal(host: string, entries: AgentJournalEntry[]): Promise<ImportSummary> {
		return importAgentJournal(this.backend, this.appender, host, entries);
	}


	/**
	 * Which of `hosts` a run should import the agent journal of: those not
	 * imported in the last JOURNAL_IMPORT_INTERVAL_MS, and those with a session
	 * of an interrupted run that has no end yet (its controller died; the end,
	 * e.g. a lease expiry, is in that agent's journal only).
	 */
	async journalImportsDue(hosts: readonly string[], nowMs = Date.now(), checks?: Promise<RunChecks>): Promise<Set<string>> {
		const last = checks ? (await checks).lastImports : await this.backend.lastJournalImports(hosts);
		const due = new Set(hosts.filter((h) => !(Math.abs(nowMs - (last.get(h) ?? -Infinity)) < JOURNAL_IMPORT_INTERVAL_MS)));
		if (due.size === hosts.length) return due;
		const sinceMs = nowMs - RECOVERY_WINDOW_MS;
		const interrupted = checks ? (await checks).interrupted : await this.backend.find({ kinds: ['run-interrupted'], sinceMs }, INTERRUPTED_RUNS_EXAMINED);
		// Runs whose controller died but that no one has marked interrupted yet count too.
		const open = checks ? (await checks).open : await this.backend.openDispatches(sinceMs);
		const orphaned = open.filter((row) => controllerIsGone(parseBody<DispatchBody>(row.body).controller));
		const runIds = [...new Set([...interrupted, ...orphaned].map((r) => r.runId!))];
		if (runIds.length === 0) return due;
		// Only these hosts' rows (and each dispatch): a week's interrupted runs on other hosts need not be read or folded.
		const rows = await this.backend.eventsOfRuns(runIds, hosts);
		const byRun = new Map<string, EventRow[]>();
		for (const r of rows) {
			const of = byRun.get(r.runId!);
			if (of) of.push(r);
			else byRun.set(r.runId!, [r]);
		}
		const wanted = new Set(hosts);
		for (const runRows of byRun.values()) {
			for (const h of foldRun(runRows)?.hosts ?? []) if (!ENDED.has(h.state) && wanted.has(h.host)) due.add(h.host);
		}
		return due;
	}

	/**
	 * Everything a run reads after its write-ahead record, read at once: the
	 * open dispatches of the recovery window (for recoverInterruptedRuns and
	 * journalImportsDue), when the hosts' journals were last imported, and the
	 * interrupted runs (journalImportsDue). On PostgreSQL one round trip, not
	 * four, on the run's one connection.
	 */
	runChecks(hosts: readonly string[], nowMs = Date.now()): Promise<RunChecks> {
		return this.backend.runChecks(hosts, nowMs - RECOVERY_WINDOW_MS, INTERRUPTED_RUNS_EXAMINED);
	}

	/** Notes that these hosts' journals were imported now (see journalImportsDue). */
	noteJournalImports(hosts: readonly string[], atMs = Date.now()): Promise<void> {
		return this.backend.noteJournalImports(hosts, atMs);
	}

	/**
	 * A run's reads and recovery once its write-ahead record is in, on one
	 * read of the log (runChecks): which hosts' journals to import, and runs
	 * of dead controllers marked interrupted.
	 */
	afterWriteAhead(hosts: readonly string[], nowMs: number): AfterWriteAhead {
		// no agent journals to import (a local run): the recovery's own read only
		if (hosts.length === 0) return { importsDue: Promise.resolve(new Set()), recovered: this.recoverInterruptedRuns() };
		const checks = this.runChecks(hosts, nowMs);
		checks.catch(() => {}); // reported by the two that await it
		return { importsDue: this.journalImportsDue(hosts, nowMs, checks), recovered: this.recoverInterruptedRuns(checks) };
	}

	/**
	 * Marks as interrupted every recent run whose controller process, on this
	 * machine, is gone without completing it. Returns their run ids.
	 */
	async recoverInterruptedRuns(checks?: Promise<RunChecks>): Promise<string[]> {
		const open = checks ? (await checks).open : await this.backend.openDispatches(Date.now() - RECOVERY_WINDOW_MS);
		const dead = open.filter((row) => controllerIsGone(parseBody<DispatchBody>(row.body).controller));
		const rows = dead.map((row) => {
			const owner = parseBody<DispatchBody>(row.body).controller;
			const body: InterruptedBody = {
				why: `controller ${describeController(owner)} exited before completing the run`,
				noticedBy: this.controller,
			};
			return makeEvent({ kind: 'run-interrupted', runId: row.runId, who: row.who, scriptHash: row.scriptHash, body });
		});
		await this.appender.append(rows);
		return dead.map((row) => row.runId!);
	}
}


/** A unique-index violation of `index` (SQLite names the columns, PostgreSQL the index). */
function violatesIndex(err: unknown, index: string): boolean {
	const e = err as { code?: string; constraint?: string; message?: string };
	if (e?.code === '23505') return e.constraint === index;
	return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && /audit_log\.run_id/.test(e.message ?? '');
}

function scriptHashOf(given: string | undefined, scriptText: string): string {
	return given === undefined ? sha256Hex(scriptText) : checkIdentifier('script hash', given);
}
