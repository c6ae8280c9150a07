// The keeper's side of a run recorded through it (run-client.ts): the
// run's AuditWriter lives here, writing for the process that opened the
// session (its controller tag: a run whose controller dies is found and
// marked interrupted as before), over the keeper's one backend. Each step
// is checked, then started at once in the order received: the writer's
// group commit orders the chain as the run made its records, and a record
// waiting for its batch does not hold up the next request.
import { AuditWriter } from '../audit-log.js';
import type { AuditBackend } from '../backend.js';
import type { ControllerTag } from '../controller-process.js';
import type { RunRecorder } from '../run-recorder.js';
import type { AgentJournalEntry, CompileRecord, DispatchRecord, HostEnded, HostLoaded, RefusalRecord } from '../types.js';
import type { KeeperRunOp } from './protocol.js';
import { count, fail, num, str, strings } from './requests.js';

/** A record's fields: an object (each field is checked by the writer, as for a run in its own process). */
function record<T>(op: string, v: unknown, what: string): T {
	if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(op, `${what} is not an object`);
	return v as T;
}

function controllerTag(op: string, v: unknown): ControllerTag {
	const c = record<Record<string, unknown>>(op, v, 'the controller');
	if (typeof c.hostname !== 'string' || !Number.isSafeInteger(c.pid) || (c.startTicks !== null && typeof c.startTicks !== 'string')) fail(op, 'the controller is not a process tag');
	return { hostname: c.hostname, pid: c.pid as number, startTicks: c.startTicks as string | null };
}

export class KeeperRunSession {
	private writer?: AuditWriter;
	private readonly runs = new Map<string, RunRecorder>();
	private recovered?: Promise<string[]>;
	private closed = false;

	constructor(private readonly backend: AuditBackend) {}

	private open(op: string): AuditWriter {
		if (!this.writer || this.closed) fail(op, this.closed ? 'the run session is closed' : 'no run.open first');
		return this.writer;
	}

	/** A run begun in this session (which is open). */
	private run(op: string, runId: unknown): RunRecorder {
		this.open(op);
		const run = this.runs.get(str(op, runId, 'the run id'));
		if (!run) fail(op, `run ${String(runId)} was not begun in this session`);
		return run;
	}

	/** One step; the promise is the answer's value. Starts synchronously (the order of the chain). */
	serve(op: KeeperRunOp, args: unknown[]): Promise<unknown> {
		try {
			return this.start(op, args);
		} catch (err) {
			return Promise.reject(err);
		}
	}

	private start(op: KeeperRunOp, args: unknown[]): Promise<unknown> {
		switch (op) {
			case 'run.open': {
				count(op, args, 2);
				if (this.writer) fail(op, 'the run session is open already');
				const batchMs = num(op, args[1], 'batchMs');
				if (batchMs < 0 || batchMs > 60_000) fail(op, 'batchMs is out of range');
				this.writer = new AuditWriter(this.backend, batchMs, controllerTag(op, args[0]));
				return Promise.resolve(null);
			}
			case 'run.recordCompile':
				count(op, args, 1);
				return this.open(op).recordCompile(record<CompileRecord>(op, args[0], 'the compile'));
			case 'run.beginDispatch': {
				count(op, args, 1);
				return this.open(op).beginDispatch(record<DispatchRecord>(op, args[0], 'the dispatch')).then((run) => {
					this.runs.set(run.runId, run);
					return { runId: run.runId };
				});
			}
			case 'run.hostLoaded':
				count(op, args, 3);
				return this.run(op, args[0]).hostLoaded(str(op, args[1], 'host'), record<HostLoaded>(op, args[2], 'the load'));
			case 'run.hostEnded':
				count(op, args, 3);
				return this.run(op, args[0]).hostEnded(str(op, args[1], 'host'), record<HostEnded>(op, args[2], 'the end'));
			case 'run.hostRefused': {
				count(op, args, 4, 1);
				const moduleHash = args[4] === undefined || args[4] === null ? undefined : str(op, args[4], 'moduleHash');
				return this.run(op, args[0]).hostRefused(str(op, args[1], 'host'), str(op, args[2], 'reason') as RefusalRecord['reason'], str(op, args[3], 'message'), moduleHash);
			}
			case 'run.finish':
				count(op, args, 1);
				return this.run(op, args[0]).finish();
			case 'run.importsDue': {
				count(op, args, 2);
				const after = this.open(op).afterWriteAhead(strings(op, args[0], 'hosts'), num(op, args[1], 'nowMs'));
				this.recovered = after.recovered;
				this.recovered.catch(() => {}); // answered by run.recovered
				return after.importsDue.then((due) => [...due]);
			}
			case 'run.recovered':
				count(op, args, 0);
				this.open(op);
				return this.recovered ?? Promise.resolve([]);
			case 'run.importAgentJournal': {
				count(op, args, 2);
				if (!Array.isArray(args[1])) fail(op, 'the entries are not a list');
				return this.open(op).importAgentJournal(str(op, args[0], 'host'), args[1] as AgentJournalEntry[]);
			}
			case 'run.noteJournalImports':
				count(op, args, 1);
				return this.open(op).noteJournalImports(strings(op, args[0], 'hosts'));
			case 'run.endBatching':
				count(op, args, 0);
				return this.open(op).endBatching();
			case 'run.close': {
				count(op, args, 0);
				const writer = this.open(op);
				this.closed = true;
				return writer.flush();
			}
		}
		fail(String(op), 'unknown request');
	}

	/** The client went away without run.close: what it recorded is committed all the same. */
	async abandon(): Promise<void> {
		if (!this.writer || this.closed) return;
		this.closed = true;
		void this.writer.endBatching();
		await this.writer.flush();
	}
}
