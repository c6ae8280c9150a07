// The reading side: listings (what ran where, by whom, when) and one run in
// full. Filters select rows through the indexes; the runs those rows belong
// to are then fetched whole and folded.
import type { AuditBackend, EventFilter } from './backend.js';
import { parseBody, type CompileBody, type JournalLoadBody, type JournalUnloadBody, type RefusalBody } from './bodies.js';
import type { EventRow } from './event.js';
import { AuditInputError } from './limits.js';
import { foldRun, hostDetail, hostOutcomeWord } from './runs.js';
import type { AuditEntry, AuditListing, AuditQuery, RunView } from './types.js';

export const DEFAULT_LISTING_LIMIT = 100;
export const MAX_LISTING_LIMIT = 10_000;
/** Rows per run and host a listing may need to see (pending, loaded, ended, journal). */
const ROWS_PER_ENTRY = 6;
/** Bound on the `IN (...)` list of one query. */
const RUNS_PER_QUERY = 500;

export class RunNotFoundError extends Error {}

export async function listEntries(backend: AuditBackend, q: AuditQuery): Promise<AuditListing> {
	const limit = q.limit ?? DEFAULT_LISTING_LIMIT;
	if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LISTING_LIMIT) {
		throw new AuditInputError(`limit must be between 1 and ${MAX_LISTING_LIMIT}`);
	}
	const filter: EventFilter = {
		...(q.host ? { host: q.host } : {}),
		...(q.user ? { who: q.user } : {}),
		...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
		...(q.untilMs !== undefined ? { untilMs: q.untilMs } : {}),
		...(q.scriptHash ? { scriptHashPrefix: q.scriptHash.toLowerCase() } : {}),
	};
	const rowLimit = limit * ROWS_PER_ENTRY + 1;
	const rows = await backend.find(filter, rowLimit);

	// Entry keys in the order their newest row was found: a run's host, or a lone row.
	const keys = new Map<string, EventRow>();
	const runIds = new Set<string>();
	// Entries certain so far; a run-wide key ('*') adds none its host rows do not.
	let entryCount = 0;
	for (const row of rows) {
		// One entry more than asked for is enough to know the listing is truncated.
		if (entryCount > limit) break;
		for (const key of entryKeys(row, q.host)) {
			if (keys.has(key)) continue;
			keys.set(key, row);
			if (!key.endsWith('/*')) entryCount++;
			if (row.runId !== null) runIds.add(row.runId);
		}
	}
	const runs = await foldRuns(backend, [...runIds]);
	const entries: AuditEntry[] = [];
	const emitted = new Set<string>();
	for (const [key, row] of keys) {
		for (const entry of await toEntries(backend, key, row, runs)) {
			const id = entry.kind === 'run' ? `run/${entry.runId}/${entry.host}` : key;
			if (emitted.has(id)) continue;
			emitted.add(id);
			entries.push(entry);
		}
	}
	entries.sort((a, b) => b.atMs - a.atMs || b.firstSeq - a.firstSeq);
	return { entries: entries.slice(0, limit), truncated: entries.length > limit || rows.length === rowLimit };
}

/** Which listing entries a row belongs to. */
function entryKeys(row: EventRow, hostFilter: string | undefined): string[] {
	if (row.runId !== null) {
		if (row.host !== null) return [`run/${row.runId}/${row.host}`];
		// A run-wide row (dispatch, finished): every host of the run, or the one asked for.
		return row.kind === 'dispatch' ? [`run/${row.runId}/${hostFilter ?? '*'}`] : [];
	}
	if (row.kind === 'compile' || row.kind === 'refusal') return [`row/${row.seq}`];
	const body = row.kind === 'journal-load' ? parseBody<JournalLoadBody>(row.body) : undefined;
	if (body && !body.matched) return [`row/${row.seq}`];
	return [];
}

async function foldRuns(backend: AuditBackend, runIds: string[]): Promise<Map<string, RunView>> {
	const runs = new Map<string, RunView>();
	for (let i = 0; i < runIds.length; i += RUNS_PER_QUERY) {
		const rows = await backend.eventsOfRuns(runIds.slice(i, i + RUNS_PER_QUERY));
		const byRun = new Map<string, EventRow[]>();
		for (const r of rows) {
			const list = byRun.get(r.runId!);
			if (list) list.push(r);
			else byRun.set(r.runId!, [r]);
		}
		for (const [id, runRows] of byRun) {
			const run = foldRun(runRows);
			if (run) runs.set(id, run);
		}
	}
	return runs;
}

async function toEntries(backend: AuditBackend, key: string, row: EventRow, runs: Map<string, RunView>): Promise<AuditEntry[]> {
	if (key.startsWith('run/')) {
		const run = runs.get(row.runId!);
		if (!run) return [];
		const host = key.slice(`run/${run.runId}/`.length);
		// '*': a dispatch row found without a host filter stands for all its hosts.
		return run.hosts.filter((h) => host === '*' || h.host === host).map((h) => runEntry(run, h.host));
	}
	const entry = await loneEntry(backend, row);
	return entry ? [entry] : [];
}

async function loneEntry(backend: AuditBackend, row: EventRow): Promise<AuditEntry | null> {
	switch (row.kind) {
		case 'compile': {
			const b = parseBody<CompileBody>(row.body);
			return {
				...common(row),
				moduleHash: b.moduleHash,
				outcome: 'compiled',
				detail: `${b.runtime} for ${b.targetRelease} (build-id ${b.targetBuildId})`,
			};
		}
		case 'refusal': {
			const b = parseBody<RefusalBody>(row.body);
			return { ...common(row), moduleHash: b.moduleHash, outcome: 'refused', detail: `${b.reason}: ${b.message}` };
		}
		case 'journal-load': {
			const b = parseBody<JournalLoadBody>(row.body);
			const unload = (await backend.sessionEvents(row.host!, row.sessionId!)).find((r) => r.kind === 'journal-unload');
			const u = unload ? parseBody<JournalUnloadBody>(unload.body) : undefined;
			const by = b.loadedBy ? `loaded by ${b.loadedBy}` : 'loaded by an unknown client';
			return {
				...common(row),
				atMs: b.atMs,
				moduleHash: b.moduleHash,
				outcome: 'unmatched',
				detail: `session ${row.sessionId} ${by}, no controller record${u ? `; unloaded (${u.endedBy ?? 'unknown reason'})` : '; still loaded?'}`,
			};
		}
		default:
			return null;
	}
}

function common(row: EventRow) {
	return {
		kind: (row.kind === 'journal-load' ? 'agent-load' : row.kind) as AuditEntry['kind'],
		atMs: row.atMs,
		...(row.runId ? { runId: row.runId } : {}),
		...(row.host ? { host: row.host } : {}),
		...(row.who ? { who: row.who } : {}),
		...(row.scriptHash ? { scriptHash: row.scriptHash } : {}),
		firstSeq: row.seq,
	};
}

function runEntry(run: RunView, host: string): AuditEntry {
	const h = run.hosts.find((x) => x.host === host)!;
	const detail = hostDetail(run, h);
	return {
		kind: 'run',
		atMs: run.startedAtMs,
		runId: run.runId,
		host,
		who: run.who,
		scriptHash: run.scriptHash,
		moduleHash: run.moduleHash,
		outcome: hostOutcomeWord(run, h),
		...(detail ? { detail } : {}),
		firstSeq: run.firstSeq,
	};
}

/** One run in full; `idOrPrefix` may be a unique prefix of the run id. */
export async function showRun(backend: AuditBackend, idOrPrefix: string): Promise<RunView> {
	if (!/^[A-Za-z0-9._:-]{1,512}$/.test(idOrPrefix)) throw new AuditInputError(`not a run id: ${JSON.stringify(idOrPrefix)}`);
	const ids = await backend.runIdsWithPrefix(idOrPrefix, 10);
	const runId = ids.includes(idOrPrefix) ? idOrPrefix : ids.length === 1 ? ids[0]! : undefined;
	if (runId === undefined) {
		if (ids.length === 0) throw new RunNotFoundError(`no run ${idOrPrefix} in the audit log`);
		throw new AuditInputError(`run id prefix ${idOrPrefix} is ambiguous: ${ids.join(', ')}${ids.length === 10 ? ', ...' : ''}`);
	}
	const run = foldRun(await backend.eventsOfRuns([runId]));
	if (!run) throw new RunNotFoundError(`no run ${idOrPrefix} in the audit log`);
	return run;
}
