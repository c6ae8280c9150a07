// Merged output of many hosts: plain (as the script printed it), with a
// host prefix on every line (like stap --remote-prefix), or one JSON object
// per record. Writing respects stdout's flow control: when it is slow, the
// caller pauses the agent streams, and the agents' bounded buffers decide
// what is dropped (and say so).
import type { OutputRecord, SessionExit } from '../../proto/gen/tapfleet/v1/agent.js';
import { OutputStream } from '../../proto/gen/tapfleet/v1/agent.js';

export type OutputFormat = 'plain' | 'prefix' | 'json';

export interface OutputSink {
	/** Writes a record; returns false when the destination wants the caller to wait for drain. */
	record(host: string, session: string, rec: OutputRecord): boolean;
	/** A message from tapfleet itself about a host (refusals, reconnects). */
	note(host: string, text: string): void;
	onDrain(cb: () => void): void;
}

export interface SinkStreams {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

function prefixLines(prefix: string, text: string): string {
	const body = text.endsWith('\n') ? text.slice(0, -1) : text;
	return prefix + body.split('\n').join('\n' + prefix) + (text.endsWith('\n') ? '\n' : '');
}

export function describeExit(e: SessionExit): string {
	const how = e.signal ? `killed by ${e.signal}` : `exit status ${e.exitCode}`;
	return `session ended (${e.reason}, ${how})`;
}

export function createSink(format: OutputFormat, streams: SinkStreams): OutputSink {
	const { stdout, stderr } = streams;
	return {
		record(host, session, rec) {
			if (format === 'json') {
				const base = { host, session, seq: Number(rec.seq) };
				let obj: Record<string, unknown>;
				if (rec.text) obj = { ...base, stream: rec.text.stream === OutputStream.OUTPUT_STREAM_STDERR ? 'stderr' : 'stdout', text: rec.text.text };
				else if (rec.dropped) obj = { ...base, stream: 'dropped', firstSeq: Number(rec.dropped.firstSeq), records: Number(rec.dropped.records), bytes: Number(rec.dropped.bytes) };
				else if (rec.exit) obj = { ...base, stream: 'exit', exitCode: rec.exit.exitCode, signal: rec.exit.signal, reason: rec.exit.reason };
				else return true;
				return stdout.write(JSON.stringify(obj) + '\n');
			}
			const prefix = format === 'prefix' ? `${host}: ` : '';
			if (rec.text) {
				const text = prefix ? prefixLines(prefix, rec.text.text) : rec.text.text;
				if (rec.text.stream === OutputStream.OUTPUT_STREAM_STDERR) {
					stderr.write(text);
					return true;
				}
				return stdout.write(text);
			}
			if (rec.dropped) {
				stderr.write(`tapfleet: ${host}: ${rec.dropped.records} output record(s)${rec.dropped.bytes ? ` (${rec.dropped.bytes} bytes)` : ''} dropped from seq ${rec.dropped.firstSeq}: the agent's buffer overflowed before they were read\n`);
			}
			return true;
		},
		note(host, text) {
			if (format === 'json') stdout.write(JSON.stringify({ host, stream: 'tapfleet', text }) + '\n');
			else stderr.write(`tapfleet: ${host}: ${text}\n`);
		},
		onDrain(cb) {
			// A destination that fails or closes will never drain: resume then too (the caller stops writing).
			const done = () => {
				stdout.off('drain', done);
				stdout.off('error', done);
				stdout.off('close', done);
				cb();
			};
			stdout.once('drain', done);
			stdout.once('error', done);
			stdout.once('close', done);
		},
	};
}
