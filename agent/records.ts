// Converting buffered records and sessions into their protobuf messages.
import { OutputStream, type OutputRecord, type SessionExit, type SessionInfo } from '../proto/gen/tapfleet/v1/agent.js';
import type { BufferedRecord } from './output-buffer.js';
import { Session, type SessionExitInfo } from './session.js';
import type { PastSession } from './sessions.js';

export function toOutputRecord(rec: BufferedRecord): OutputRecord {
	const b = rec.body;
	if (b.kind === 'exit') return { seq: BigInt(rec.seq), exit: toSessionExit(b) };
	return { seq: BigInt(rec.seq), text: { stream: b.kind === 'stdout' ? OutputStream.OUTPUT_STREAM_STDOUT : OutputStream.OUTPUT_STREAM_STDERR, data: b.data } };
}

export function toSessionExit(e: SessionExitInfo): SessionExit {
	return { exitCode: e.exitCode, signal: e.signal, reason: e.reason };
}

export function toSessionInfo(s: Session | PastSession): SessionInfo {
	if (s instanceof Session) {
		return {
			sessionId: s.spec.id,
			moduleName: s.spec.manifest.name,
			targetBuildId: s.spec.manifest.target.buildId,
			state: s.state,
			owner: s.spec.owner,
			startedAtMs: BigInt(s.startedAt),
			leaseSeconds: s.spec.leaseSeconds,
			detached: s.spec.detach,
			nextSeq: BigInt(s.output.nextSeq),
			firstBufferedSeq: BigInt(s.output.firstSeq),
			droppedRecords: BigInt(s.droppedRecords),
			exit: s.exit ? toSessionExit(s.exit) : undefined,
			pid: s.pid,
			scriptSha256: s.spec.manifest.script.sha256,
			runId: s.spec.runId,
		};
	}
	return {
		sessionId: s.id,
		moduleName: s.module,
		targetBuildId: s.buildId,
		state: 'finished',
		owner: s.owner,
		startedAtMs: BigInt(s.startedAtMs || 0),
		leaseSeconds: 0,
		detached: false,
		nextSeq: BigInt(s.output.nextSeq),
		firstBufferedSeq: BigInt(s.output.firstSeq),
		droppedRecords: 0n,
		exit: toSessionExit(s.exit),
		pid: s.pid,
		scriptSha256: s.scriptSha256,
		runId: s.runId,
	};
}
