// What a dispatch records as it goes, host by host, after its write-ahead
// record: loads, ends, refusals, and the finish.
import type { HostEndedBody, HostLoadedBody, RefusalBody } from './bodies.js';
import { makeEvent, type EventKind, type NewEvent } from './event.js';
import type { GroupCommit } from './group-commit.js';
import { AuditInputError, boundMessage, checkCount, checkIdentifier, checkOneOf, checkTime } from './limits.js';
import { END_REASONS, REFUSAL_REASONS, type HostEnded, type HostLoaded, type RefusalRecord } from './types.js';

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
		return makeEvent({ kind, runId: this.runId, host, sessionId, who: this.who, scriptHash: this.scriptHash, body });
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
			makeEvent({ kind: 'dispatch-finished', runId: this.runId, who: this.who, scriptHash: this.scriptHash, body: {} }),
		]);
	}
}
