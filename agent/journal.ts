// The agent's journal: one JSON line per event (loaded, finished,
// reconciled) in the state directory, written synchronously before the
// agent answers, so that after a crash or kill -9 a restarted agent knows
// every taprun it had started and can make sure none is left running
// without a session that owns it, nor a kernel module such a taprun loaded.
import { appendFileSync, existsSync, fsyncSync, openSync, closeSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type JournalEvent =
	| { event: 'loaded'; session: string; module: string; buildId: string; scriptSha256: string; owner: string; pid: number; startTime: string; detach: boolean; leaseSeconds: number; runId?: string; targetPid?: number; targetCommand?: string }
	| { event: 'finished'; session: string; reason: string; exitCode: number; signal: string }
	| { event: 'reconciled'; session: string; module: string; pid: number; action: 'terminated' | 'killed' | 'gone'; reason: string }
	// A kernel module (kmod runtime) whose loader is gone, found loaded at start-up: `session` is the
	// journal's session whose taprun loaded it ('' when none of ours did), `error` why it could not be removed.
	| { event: 'reconciled-module'; kernelModule: string; session: string; ownerPid: number; action: 'removed' | 'remove failed'; reason: string; error?: string }
	| { event: 'agent-started'; pid: number; version: string }
	| { event: 'refused'; owner: string; module: string; code: string; reason: string };

export type JournalEntry = JournalEvent & { ts: string };

/** Past this size the journal is rotated to journal.jsonl.1 at startup. */
const ROTATE_BYTES = 8 * 1024 * 1024;

export class Journal {
	readonly path: string;

	/** durable=false: no fsync, for a journal no restart will ever read (the embedded agent's private, temporary state). */
	constructor(
		stateDir: string,
		private readonly durable = true,
	) {
		this.path = join(stateDir, 'journal.jsonl');
	}

	/** Opened at the first append (after any rotation) and kept: an open and a close less per event. */
	private fd: number | undefined;

	append(event: JournalEvent): void {
		this.fd ??= openSync(this.path, 'a', 0o600);
		appendFileSync(this.fd, JSON.stringify({ ts: new Date().toISOString(), ...event }) + '\n');
		if (this.durable) fsyncSync(this.fd);
	}

	/** Closes the file; a later append opens it again. */
	close(): void {
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
	}

	read(): JournalEntry[] {
		if (!existsSync(this.path)) return [];
		const entries: JournalEntry[] = [];
		for (const line of readFileSync(this.path, 'utf8').split('\n')) {
			if (!line.trim()) continue;
			try {
				entries.push(JSON.parse(line));
			} catch {
				// A line torn by a crash mid-write: skip it, the rest is still good.
			}
		}
		return entries;
	}

	/** Sessions with a `loaded` entry and neither `finished` nor `reconciled`. */
	unfinished(): Extract<JournalEntry, { event: 'loaded' }>[] {
		const open = new Map<string, Extract<JournalEntry, { event: 'loaded' }>>();
		for (const e of this.read()) {
			if (e.event === 'loaded') open.set(e.session, e);
			else if (e.event === 'finished' || e.event === 'reconciled') open.delete(e.session);
		}
		return [...open.values()];
	}

	rotateIfLarge(): void {
		if (existsSync(this.path) && statSync(this.path).size > ROTATE_BYTES && this.unfinished().length === 0) {
			this.close();
			renameSync(this.path, this.path + '.1');
		}
	}
}
