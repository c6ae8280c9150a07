// Following one session's output to its end, across broken connections:
// on a transport error it reconnects and resumes from the record after the
// last one it saw, so output continues with no gap, or the agent reports
// the gap's size. It pauses the stream while the sink is backed up.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { OutputRecord, SessionExit, StreamOutputResponse } from '../../proto/gen/tapfleet/v1/agent.js';
import { describeError, type AgentClient } from './agent-client.js';
import type { OutputSink } from './output-sink.js';

export interface FollowOptions {
	/** Keep the session's lease while following (a controller does; `attach` may not). */
	holdLease: boolean;
	/** First record wanted: 0 = oldest buffered. */
	fromSeq: bigint;
	/** Give up reconnecting after this long without a connection. */
	reconnectWindowMs: number;
	/** Called on every record (for progress and tests). */
	onRecord?: (rec: OutputRecord) => void;
	/**
	 * This controller reached the agent already (its Load): a first stream that
	 * fails is a lost connection, retried for the window. Otherwise (attach) an
	 * agent never reached is said at once.
	 */
	agentReached?: boolean;
	/** The records' stream the load opened (LoadAndStream), paused: the first attempt reads it; a resume uses StreamOutput. */
	firstStream?: ClientReadableStream<StreamOutputResponse>;
}

export interface FollowResult {
	exit?: SessionExit;
	/** Set when following ended without an exit record. */
	error?: string;
	lastSeq: bigint;
	reconnects: number;
	droppedRecords: bigint;
}

const RETRYABLE = new Set([status.UNAVAILABLE, status.INTERNAL, status.CANCELLED, status.UNKNOWN, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);

export function followSession(client: AgentClient, sessionId: string, sink: OutputSink, opts: FollowOptions): { done: Promise<FollowResult>; stop(): void } {
	let stopped = false;
	let current: ReturnType<AgentClient['stream']> | undefined;
	let opened = opts.firstStream;
	const result: FollowResult = { lastSeq: opts.fromSeq > 0n ? opts.fromSeq - 1n : 0n, reconnects: 0, droppedRecords: 0n };
	const label = client.host.label;

	/** The agent answered once (a stream's headers or a record): a later failure is a lost connection, not an agent never reached. */
	let reached = !!opts.agentReached || !!opts.firstStream;
	const attempt = (): Promise<'exit' | 'ended' | ServiceError> =>
		new Promise((resolve) => {
			const from = result.lastSeq > 0n ? result.lastSeq + 1n : opts.fromSeq;
			const call = opened ?? client.stream(sessionId, from, opts.holdLease);
			current = call;
			let sawExit = false;
			call.on('metadata', () => (reached = true));
			call.on('data', (msg: { record?: OutputRecord }) => {
				reached = true;
				const rec = msg.record;
				if (!rec) return;
				if (rec.dropped) {
					result.droppedRecords += rec.dropped.records;
					result.lastSeq = rec.dropped.firstSeq + rec.dropped.records - 1n;
				} else {
					result.lastSeq = rec.seq;
				}
				if (rec.exit) {
					sawExit = true;
					result.exit = rec.exit;
				}
				opts.onRecord?.(rec);
				if (!sink.record(label, sessionId, rec)) {
					call.pause();
					sink.onDrain(() => call.resume());
				}
			});
			call.on('error', (err: ServiceError) => resolve(err));
			call.on('end', () => resolve(sawExit ? 'exit' : 'ended'));
			if (opened) {
				opened = undefined;
				call.resume();
			}
		});

	const done = (async (): Promise<FollowResult> => {
		let lostSince: number | undefined;
		let lastError = '';
		while (!stopped) {
			const seqBefore = result.lastSeq;
			const outcome = await attempt();
			// Progress since the last loss: the reconnect window starts again.
			if (result.lastSeq !== seqBefore) lostSince = undefined;
			if (outcome === 'exit') return result;
			if (outcome === 'ended') {
				// The agent ended the stream without an exit record: it is shutting down; try again.
				lastError = 'the agent closed the stream';
			} else {
				if (stopped) break;
				if (!RETRYABLE.has(outcome.code)) {
					result.error = describeError(outcome);
					return result;
				}
				// never reached at all (a wrong address, an agent that is down): said at once, not retried for the window
				if (!reached) {
					result.error = `cannot reach the agent: ${describeError(outcome)}`;
					return result;
				}
				lastError = describeError(outcome);
			}
			lostSince ??= Date.now();
			if (Date.now() - lostSince > opts.reconnectWindowMs) {
				result.error = `lost the connection and could not resume within ${Math.round(opts.reconnectWindowMs / 1000)} s (${lastError})`;
				return result;
			}
			result.reconnects++;
			sink.note(label, `connection lost (${lastError}); resuming after seq ${result.lastSeq}`);
			await new Promise((r) => setTimeout(r, Math.min(2000, 200 * result.reconnects)));
		}
		result.error ??= 'stopped';
		return result;
	})();

	return {
		done,
		stop() {
			stopped = true;
			current?.cancel();
		},
	};
}
