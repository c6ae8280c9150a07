// The audit log's writing side: what the controller calls around each action.
// Every start is written (and committed) before the action; every completion
// is a new row, so a crash in between leaves a visibly incomplete run.
import { randomBytes } from 'node:crypto';
import type { AuditBackend } from './backend.js';
import { GroupCommit } from './group-commit.js';
import type {
	CompileBody,
	DispatchBody,
	HostEndedBody,
	HostLoadedBody,
	InterruptedBody,
	JournalLoadBody,
	JournalUnloadBody,
	RefusalBody,
} from './bodies.js';
import { controllerIsGone, describeController, thisController, type ControllerTag } from './controller-process.js';
import { sha256Hex, type EventKind, type NewEvent } from './event.js';
import {
	AuditInputError,
	boundMessage,
	checkCount,
	checkIdentifier,
	checkOneOf,
	checkOptionalIdentifier,
	checkScriptText,
	checkTime,
	LIMITS,
	optionsJson,
} from './limits.js';
import { parseBody } from './bodies.js';
import {
	END_REASONS,
	REFUSAL_REASONS,
	type AgentJournalEntry,
	type CompileRecord,
	type DispatchRecord,
	type HostEnded,
	type HostLoaded,
	type ImportSummary,
	type RefusalRecord,
} from './types.js';

/** How long before an agent's load its run may have been dispatched, to match it without a session record. */
const PENDING_MATCH_WINDOW_MS = 10 * 60 * 1000;
const CLOCK_SKEW_MS = 60 * 1000;

/** Runs older than this are not examined when looking for dead controllers. */
const RECOVERY_WINDOW_MS = 7 * 24 * 3600 * 1000;

interface RowFields {
	kind: EventKind;
	runId?: string | null;
	host?: string | null;
	sessionId?: string | null;
	who?: string | null;
	scriptHash?: string | null;
	body: object;
	atMs?: number;
}

function event(f: RowFields): NewEvent {
	return {
		atMs: f.atMs ?? Date.now(),
		kind: f.kind,
		runId: f.runId ?? null,
		host: f.host ?? null,
		sessionId: f.sessionId ?? null,
		who: f.who ?? null,
		scriptHash: f.scriptHash ?? null,
		body: JSON.stringify(f.body),
	};
}

export function newRunId(): string {
	return randomBytes(6).toString('hex');
}

export class AuditWriter {
	readonly controller: ControllerTag = thisController();
	protected readonly appender: GroupCommit;

	constructor(protected readonly backend: AuditBackend) {
		this.appender = new GroupCommit(backend);
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
			event({ kind: 'compile', who: checkIdentifier('who', rec.who), scriptHash: scriptHashOf(rec.scriptHash, scriptText), body }),
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
		if ((await this.backend.runIdsWithPrefix(runId, 1))[0] === runId) throw new AuditInputError(`run id ${runId} is already in the audit log`);
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
		await this.appender.append([
			event({ kind: 'dispatch', runId, who, scriptHash, body, atMs }),
			...hosts.map((host) => event({ kind: 'host-pending', runId, host, who, scriptHash, body: {}, atMs })),
		]);
		return new RunRecorder(this.appender, runId, who, scriptHash, hosts);
	}

	async recordRefusal(rec: RefusalRecord): Promise<void> {
		const body: RefusalBody = {
			reason: checkOneOf('refusal reason', rec.reason, REFUSAL_REASONS),
			message: boundMessage(rec.message) ?? '',
			...(rec.moduleHash ? { moduleHash: checkIdentifier('module hash', rec.moduleHash) } : {}),
		};
		await this.appender.append([
			event({
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
	 * Imports an agent's journal of loads and unloads. Entries already imported
	 * are skipped, so pulling the whole journal again is harmless. A load is
	 * matched to a controller record by session id, or by the run id the
	 * controller passed with the load; one that matches neither is flagged.
	 */
	async importAgentJournal(hostName: string, entries: AgentJournalEntry[]): Promise<ImportSummary> {
		const host = checkIdentifier('host', hostName);
		if (entries.length > LIMITS.journalEntriesPerImport) {
			throw new AuditInputError(`import at most ${LIMITS.journalEntriesPerImport} journal entries at once`);
		}
		const summary: ImportSummary = { imported: 0, alreadyKnown: 0, unmatchedLoads: 0 };
		const rows: NewEvent[] = [];
		// Sessions seen earlier in this same batch.
		const batchRuns = new Map<string, string | null>();
		const batchSeen = new Set<string>();
		for (const e of entries) {
			const sessionId = checkIdentifier('session id', e.sessionId);
			const kind = e.event === 'load' ? 'journal-load' : e.event === 'unload' ? 'journal-unload' : undefined;
			if (!kind) throw new AuditInputError(`journal entry event must be load or unload, not ${String(e.event)}`);
			const atMs = checkCount('journal entry time', e.atMs);
			const known = await this.backend.sessionEvents(host, sessionId);
			if (batchSeen.has(`${kind}/${sessionId}`) || known.some((r) => r.kind === kind)) {
				summary.alreadyKnown++;
				continue;
			}
			batchSeen.add(`${kind}/${sessionId}`);
			let runId = batchRuns.get(sessionId) ?? known.find((r) => r.runId !== null)?.runId ?? null;
			if (kind === 'journal-load') {
				if (runId === null && e.runId) runId = await this.runIncludingHost(checkIdentifier('run id', e.runId), host);
				if (runId === null && e.scriptHash) runId = await this.pendingRunFor(host, checkIdentifier('script hash', e.scriptHash), atMs);
				batchRuns.set(sessionId, runId);
				const body: JournalLoadBody = {
					atMs,
					matched: runId !== null,
					...(e.moduleHash ? { moduleHash: checkIdentifier('module hash', e.moduleHash) } : {}),
					...(e.loadedBy ? { loadedBy: checkIdentifier('loaded by', e.loadedBy) } : {}),
				};
				if (runId === null) summary.unmatchedLoads++;
				rows.push(
					event({
						kind,
						runId,
						host,
						sessionId,
						who: checkOptionalIdentifier('loaded by', e.loadedBy),
						scriptHash: checkOptionalIdentifier('script hash', e.scriptHash),
						body,
					}),
				);
			} else {
				const body: JournalUnloadBody = {
					atMs,
					...(e.endedBy ? { endedBy: checkOneOf('journal end reason', e.endedBy, END_REASONS) } : {}),
					...(e.message ? { message: boundMessage(e.message) } : {}),
				};
				rows.push(event({ kind, runId, host, sessionId, body }));
			}
			summary.imported++;
		}
		await this.appender.append(rows);
		return summary;
	}

	/** The run id if that run was dispatched to this host, else null. */
	private async runIncludingHost(runId: string, host: string): Promise<string | null> {
		const rows = await this.backend.eventsOfRuns([runId]);
		return rows.some((r) => r.kind === 'host-pending' && r.host === host) ? runId : null;
	}

	/**
	 * A run of this script still pending on this host when the agent loaded it:
	 * the controller died between the Load and recording it. Dispatched at
	 * most PENDING_MATCH_WINDOW_MS before the load (allowing for clock skew
	 * after it); the most recent wins.
	 */
	private async pendingRunFor(host: string, scriptHash: string, atMs: number): Promise<string | null> {
		const candidates = await this.backend.find(
			{ host, scriptHashPrefix: scriptHash, kinds: ['host-pending'], sinceMs: atMs - PENDING_MATCH_WINDOW_MS, untilMs: atMs + CLOCK_SKEW_MS },
			10,
		);
		for (const c of candidates) {
			const rows = await this.backend.eventsOfRuns([c.runId!]);
			const loaded = rows.some((r) => r.host === host && r.sessionId !== null);
			if (!loaded && rows.some((r) => r.kind === 'dispatch')) return c.runId;
		}
		return null;
	}

	/**
	 * Marks as interrupted every recent run whose controller process, on this
	 * machine, is gone without completing it. Returns their run ids.
	 */
	async recoverInterruptedRuns(): Promise<string[]> {
		const open = await this.backend.openDispatches(Date.now() - RECOVERY_WINDOW_MS);
		const dead = open.filter((row) => controllerIsGone(parseBody<DispatchBody>(row.body).controller));
		const rows = dead.map((row) => {
			const owner = parseBody<DispatchBody>(row.body).controller;
			const body: InterruptedBody = {
				why: `controller ${describeController(owner)} exited before completing the run`,
				noticedBy: this.controller,
			};
			return event({ kind: 'run-interrupted', runId: row.runId, who: row.who, scriptHash: row.scriptHash, body });
		});
		await this.appender.append(rows);
		return dead.map((row) => row.runId!);
	}
}

/** What a dispatch records as it goes, host by host. */
export class RunRecorder {
	constructor(
		private readonly appender: GroupCommit,
		readonly runId: string,
		readonly who: string,
		readonly scriptHash: string,
		readonly hosts: readonly string[],
	) {}

	private hostRow(kind: EventKind, host: string, body: object, sessionId?: string): NewEvent {
		if (!this.hosts.includes(host)) throw new AuditInputError(`host ${host} is not part of run ${this.runId}`);
		return event({ kind, runId: this.runId, host, sessionId, who: this.who, scriptHash: this.scriptHash, body });
	}

	async hostLoaded(host: string, loaded: HostLoaded): Promise<void> {
		const body: HostLoadedBody = { loadedAtMs: checkTime('loaded at', loaded.loadedAtMs) ?? Date.now() };
		await this.appender.append([this.hostRow('host-loaded', host, body, checkIdentifier('session id', loaded.sessionId))]);
	}

	async hostEnded(host: string, ended: HostEnded): Promise<void> {
		const body: HostEndedBody = {
			endedBy: checkOneOf('end reason', ended.endedBy, END_REASONS),
			...(ended.message !== undefined ? { message: boundMessage(ended.message) } : {}),
			...(ended.firstOutputAtMs !== undefined ? { firstOutputAtMs: checkTime('first output at', ended.firstOutputAtMs) } : {}),
			unloadedAtMs: checkTime('unloaded at', ended.unloadedAtMs) ?? Date.now(),
			outputBytes: checkCount('output bytes', ended.outputBytes),
			outputLines: checkCount('output lines', ended.outputLines),
			dropped: checkCount('dropped', ended.dropped),
		};
		await this.appender.append([this.hostRow('host-ended', host, body)]);
	}

	/** The controller or the agent refused this host (nothing was loaded there). */
	async hostRefused(host: string, reason: RefusalRecord['reason'], message: string, moduleHash?: string): Promise<void> {
		const body: RefusalBody = {
			reason: checkOneOf('refusal reason', reason, REFUSAL_REASONS),
			message: boundMessage(message) ?? '',
			...(moduleHash ? { moduleHash: checkIdentifier('module hash', moduleHash) } : {}),
		};
		await this.appender.append([this.hostRow('refusal', host, body)]);
	}

	/** The run is over on every host (whatever each outcome was). */
	async finish(): Promise<void> {
		await this.appender.append([
			event({ kind: 'dispatch-finished', runId: this.runId, who: this.who, scriptHash: this.scriptHash, body: {} }),
		]);
	}
}

function scriptHashOf(given: string | undefined, scriptText: string): string {
	return given === undefined ? sha256Hex(scriptText) : checkIdentifier('script hash', given);
}
