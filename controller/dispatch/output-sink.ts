// Merged output of many hosts: plain (as the script printed it), with a
// host prefix on every line (like stap --remote-prefix), or one JSON object
// per record. Writing respects stdout's flow control: when it is slow, the
// caller pauses the agent streams, and the agents' bounded buffers decide
// what is dropped (and say so).
//
// Output is bytes (stap prints binary with %b and %c): it is written as
// received, and the host prefix goes before every 0x0a-terminated line of
// those bytes, never through a decode and re-encode (line-prefixer.ts: a
// line split across records still gets one prefix). JSON carries a record
// as `text` when its bytes are valid UTF-8, else as `base64`.
import { isUtf8 } from 'node:buffer';
import { LinePrefixer } from './line-prefixer.js';
import type { OutputRecord, SessionExit } from '../../proto/gen/tapfleet/v1/agent.js';
import { OutputStream } from '../../proto/gen/tapfleet/v1/agent.js';

export type OutputFormat = 'plain' | 'prefix' | 'json';

export interface OutputSink {
	/** Writes a record; returns false when the destination wants the caller to wait for drain. */
	record(host: string, session: string, rec: OutputRecord): boolean;
	/** A message from tapfleet itself about a host (refusals, reconnects); `cause`, the error behind it, if any. */
	note(host: string, text: string, cause?: unknown): void;
	onDrain(cb: () => void): void;
	/** Every session has ended: writes what is still held back (a last line without its end). */
	end?(): void;
}

export interface SinkStreams {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

/** A record's bytes in JSON: as text when they are valid UTF-8, else base64. */
function jsonPayload(data: Buffer): { text: string } | { base64: string } {
	return isUtf8(data) ? { text: data.toString('utf8') } : { base64: data.toString('base64') };
}

export function describeExit(e: SessionExit): string {
	const how = e.signal ? `killed by ${e.signal}` : `exit status ${e.exitCode}`;
	return `session ended (${e.reason}, ${how})`;
}

/**
 * `hosts`: how many hosts the output comes from. Plain output of several
 * hosts goes out in whole lines (a line's start that an agent sent on its
 * own waits here for its end), so that one host's line is never cut by
 * another's, and a host's unfinished last line is ended at its session's
 * end, as with `--prefix`; one host's output goes out as it comes, byte for
 * byte.
 */
export function createSink(format: OutputFormat, streams: SinkStreams, hosts = 1): OutputSink {
	const { stdout, stderr } = streams;
	const wholeLines = format === 'prefix' || (format === 'plain' && hosts > 1);
	const noPrefix = Buffer.alloc(0);
	/** Hosts whose lines may be held back here. */
	const held = new Set<string>();
	const prefixes = new Map<string, Buffer>();
	const lines = new LinePrefixer();
	const streamKey = (host: string, stderrStream: boolean) => `${stderrStream ? 2 : 1}:${host}`;
	/** The end of a host's unfinished lines, once its session has ended (or every session has). */
	const flushHost = (host: string) => {
		const out = lines.flush(streamKey(host, false), prefixOf(host));
		const err = lines.flush(streamKey(host, true), prefixOf(host));
		if (out.length > 0) stdout.write(out);
		if (err.length > 0) stderr.write(err);
	};
	const prefixOf = (host: string): Buffer => {
		if (format !== 'prefix') return noPrefix;
		let p = prefixes.get(host);
		if (!p) prefixes.set(host, (p = Buffer.from(`${host}: `)));
		return p;
	};
	return {
		record(host, session, rec) {
			if (format === 'json') {
				const base = { host, session, seq: Number(rec.seq) };
				let obj: Record<string, unknown>;
				if (rec.text) obj = { ...base, stream: rec.text.stream === OutputStream.OUTPUT_STREAM_STDERR ? 'stderr' : 'stdout', ...jsonPayload(rec.text.data) };
				else if (rec.dropped) obj = { ...base, stream: 'dropped', firstSeq: Number(rec.dropped.firstSeq), records: Number(rec.dropped.records), bytes: Number(rec.dropped.bytes) };
				else if (rec.exit) obj = { ...base, stream: 'exit', exitCode: rec.exit.exitCode, signal: rec.exit.signal, reason: rec.exit.reason };
				else return true;
				return stdout.write(JSON.stringify(obj) + '\n');
			}
			if (rec.text) {
				const toStderr = rec.text.stream === OutputStream.OUTPUT_STREAM_STDERR;
				if (wholeLines) held.add(host);
				const bytes = wholeLines ? lines.write(streamKey(host, toStderr), prefixOf(host), rec.text.data) : rec.text.data;
				if (bytes.length === 0) return true; // (a line still unfinished, held back)
				if (toStderr) {
					stderr.write(bytes);
					return true;
				}
				return stdout.write(bytes);
			}
			if (rec.exit && wholeLines) flushHost(host);
			if (rec.dropped) {
				stderr.write(`tapfleet: ${host}: ${rec.dropped.records} output record(s)${rec.dropped.bytes ? ` (${rec.dropped.bytes} bytes)` : ''} dropped from seq ${rec.dropped.firstSeq}: the agent's buffer overflowed before they were read\n`);
			}
			return true;
		},
		note(host, text) {
			if (format === 'json') stdout.write(JSON.stringify({ host, stream: 'tapfleet', text }) + '\n');
			else stderr.write(`tapfleet: ${host}: ${text}\n`);
		},
		end() {
			if (wholeLines) for (const host of held) flushHost(host);
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
