// A run's current state, derived by folding its rows in chain order. Rows
// are never updated, so this fold is the only place "state" exists.
import type { DispatchBody, HostEndedBody, HostLoadedBody, JournalUnloadBody, RefusalBody } from './bodies.js';
import { parseBody } from './bodies.js';
import { describeController } from './controller-process.js';
import type { EventRow } from './event.js';
import type { HostOutcome, RunView } from './types.js';

/** Folds the rows of one run (any order; sorted here). Null when the run has no dispatch row. */
export function foldRun(rows: readonly EventRow[]): RunView | null {
	const sorted = [...rows].sort((a, b) => a.seq - b.seq);
	const dispatch = sorted.find((r) => r.kind === 'dispatch');
	if (!dispatch) return null;
	const d = parseBody<DispatchBody>(dispatch.body);
	const hosts = new Map<string, HostOutcome>(d.hosts.map((h) => [h, { host: h, state: 'pending' }]));
	const bySession = new Map<string, HostOutcome>();
	const run: RunView = {
		runId: dispatch.runId!,
		who: dispatch.who ?? '',
		startedAtMs: dispatch.atMs,
		state: 'incomplete',
		scriptHash: dispatch.scriptHash ?? '',
		scriptText: d.scriptText,
		moduleHash: d.moduleHash,
		options: d.options,
		controller: describeController(d.controller),
		hosts: [...hosts.values()],
		firstSeq: dispatch.seq,
	};
	for (const row of sorted) {
		const h = row.host === null ? undefined : hosts.get(row.host);
		switch (row.kind) {
			case 'host-loaded':
				if (!h) break;
				h.state = h.state === 'interrupted' ? h.state : 'loaded';
				h.sessionId = row.sessionId ?? undefined;
				h.loadedAtMs = parseBody<HostLoadedBody>(row.body).loadedAtMs;
				if (h.sessionId) bySession.set(h.sessionId, h);
				break;
			case 'host-ended':
				if (h) endFromController(h, parseBody<HostEndedBody>(row.body));
				break;
			case 'refusal':
				if (h) {
					const r = parseBody<RefusalBody>(row.body);
					Object.assign(h, { state: 'refused', refusal: r.reason, message: r.message, source: 'controller' });
				}
				break;
			case 'journal-load':
				// The agent loaded it even if the controller died before recording that.
				if (h && row.sessionId) {
					if (h.state === 'pending') h.state = 'loaded';
					h.sessionId ??= row.sessionId;
					h.loadedAtMs ??= parseBody<{ atMs: number }>(row.body).atMs;
					bySession.set(row.sessionId, h);
				}
				break;
			case 'journal-unload': {
				const target = (row.sessionId && bySession.get(row.sessionId)) || h;
				if (target) endFromJournal(target, parseBody<JournalUnloadBody>(row.body));
				break;
			}
			case 'dispatch-finished':
				run.state = 'finished';
				run.finishedAtMs = row.atMs;
				break;
			case 'run-interrupted':
				run.state = 'interrupted';
				run.finishedAtMs = row.atMs;
				for (const host of hosts.values()) {
					if (host.state === 'pending' || host.state === 'loaded') host.state = 'interrupted';
				}
				break;
		}
	}
	return run;
}

function endFromController(h: HostOutcome, e: HostEndedBody): void {
	Object.assign(h, {
		state: 'ended',
		endedBy: e.endedBy,
		message: e.message,
		firstOutputAtMs: e.firstOutputAtMs,
		unloadedAtMs: e.unloadedAtMs,
		outputBytes: e.outputBytes,
		outputLines: e.outputLines,
		dropped: e.dropped,
		source: 'controller',
	});
}

/** The agent's word counts only where the controller recorded no end itself. */
function endFromJournal(h: HostOutcome, e: JournalUnloadBody): void {
	if (h.state === 'ended' || h.state === 'refused') return;
	Object.assign(h, { state: 'ended', endedBy: e.endedBy, message: e.message, unloadedAtMs: e.atMs, source: 'agent-journal' });
}

/** The one-word outcome of a host in a run, as the listing shows it. */
export function hostOutcomeWord(run: RunView, h: HostOutcome): string {
	switch (h.state) {
		case 'ended':
			return h.endedBy ?? 'ended';
		case 'refused':
			return 'refused';
		case 'interrupted':
			return 'interrupted';
		default:
			return run.state === 'interrupted' ? 'interrupted' : 'incomplete';
	}
}

export function hostDetail(run: RunView, h: HostOutcome): string {
	const parts: string[] = [];
	if (h.state === 'refused') parts.push(`${h.refusal}: ${h.message ?? ''}`.trim());
	else if (h.message) parts.push(h.message);
	if (h.source === 'agent-journal') parts.push('end reported by the agent journal');
	if (run.state === 'interrupted') parts.push(`controller ${run.controller} died`);
	else if (h.state === 'pending' || h.state === 'loaded') parts.push(h.state === 'pending' ? 'not loaded yet' : 'running');
	if (h.dropped) parts.push(`${h.dropped} dropped`);
	return parts.join('; ');
}
