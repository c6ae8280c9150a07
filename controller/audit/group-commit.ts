// Group commit: appends are written together, in as few transactions as
// their durability allows. Every caller still waits for the commit that
// holds its rows.
//
// - A write-ahead record (`durable: true`) is committed at once (it does not
//   wait for the event loop's next turn, which on a busy controller means
//   behind every host's TLS) and flushed to stable storage before its
//   caller goes on: it must survive a power loss of the controller's
//   machine, since the load it precedes happens elsewhere. Everything
//   queued joins that commit.
// - Other records are committed without waiting for the disk. With
//   `batchMs` 0 they are committed at once (those made in the same
//   synchronous turn together, and those made while a commit is in flight
//   in the next one). With `batchMs` > 0 (a run's records) they wait up to
//   that long to share one commit, or less: any commit takes everything
//   queued, and flush() (the end of a run, close()) writes them at once.
//   Records made while such a commit is in flight wait for the next batch
//   (not a commit right behind it): a run's hosts end over a few
//   milliseconds, and committing each end as it came chained four or five
//   round trips that the run's end then waited for.
//   The timer keeps the process alive, so a controller that leaves its
//   event loop still writes them; only a process killed outright loses the
//   last batchMs of such records (never a write-ahead record: the run then
//   shows as incomplete, and the agent's journal, imported later, still
//   matches its loads by the run id they carry).
// See docs/audit.md "Durability".
import type { AuditBackend } from './backend.js';
import type { EventRow, NewEvent } from './event.js';

/** Bound on one transaction, so a burst cannot build an unbounded one. */
const MAX_ROWS_PER_COMMIT = 5000;

export interface AppendOptions {
	/** Committed at once and flushed to stable storage before the promise settles (write-ahead records). */
	durable?: boolean;
}

interface Pending {
	events: NewEvent[];
	durable: boolean;
	resolve: (rows: EventRow[]) => void;
	reject: (err: unknown) => void;
}

export class GroupCommit {
	private queue: Pending[] = [];
	private flushing = false;
	private timer?: NodeJS.Timeout;
	/** Settles when nothing is queued or in flight (flush() waits for it). */
	private idle: Promise<void> = Promise.resolve();
	private markIdle?: () => void;
	/** flush() was called: the drain loop writes everything, whatever batchMs says. */
	private drainAll = false;

	/** @param batchMs how long a record that is not durable may wait to share a commit (0: not at all). */
	constructor(
		private readonly backend: AuditBackend,
		private batchMs = 0,
	) {}

	/** From now on every record is committed at once (the run is ending); commits what is queued. */
	endBatching(): Promise<void> {
		this.batchMs = 0;
		return this.flush();
	}

	append(events: NewEvent[], options: AppendOptions = {}): Promise<EventRow[]> {
		if (events.length === 0) return Promise.resolve([]);
		const durable = !!options.durable;
		return new Promise((resolve, reject) => {
			this.queue.push({ events, durable, resolve, reject });
			if (durable || this.batchMs === 0) this.startFlush();
			else if (!this.flushing) this.timer ??= setTimeout(() => this.startFlush(), this.batchMs);
			// (while a commit is in flight: the next batch after it, or at once if the drain must write everything)
		});
	}

	/** Commits everything queued now; settles once every append made so far is committed (or has failed). */
	flush(): Promise<void> {
		if (this.queue.length > 0) {
			this.drainAll = true;
			this.startFlush();
		}
		return this.idle;
	}

	private startFlush(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		if (this.flushing) return; // the loop in flight takes what is queued next
		this.flushing = true;
		this.idle = this.markIdle ? this.idle : new Promise((done) => (this.markIdle = done));
		// Appends made in the same synchronous turn join this commit.
		queueMicrotask(() => void this.drain());
	}

	private async drain(): Promise<void> {
		while (this.queue.length > 0) {
			const batch: Pending[] = [];
			let rows = 0;
			while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.events.length <= MAX_ROWS_PER_COMMIT)) {
				const p = this.queue.shift()!;
				rows += p.events.length;
				batch.push(p);
			}
			await this.commit(batch);
			// Batching: what came during that commit waits for its own batch, unless it must not.
			if (this.batchMs > 0 && !this.drainAll && !this.queue.some((p) => p.durable)) break;
		}
		this.flushing = false;
		this.drainAll = false;
		if (this.queue.length > 0) {
			this.timer ??= setTimeout(() => this.startFlush(), this.batchMs);
			return; // still not idle
		}
		const idle = this.markIdle;
		this.markIdle = undefined;
		idle?.();
	}

	private async commit(batch: Pending[]): Promise<void> {
		try {
			const written = await this.backend.append(
				batch.flatMap((p) => p.events),
				batch.some((p) => p.durable),
			);
			let at = 0;
			for (const p of batch) {
				p.resolve(written.slice(at, at + p.events.length));
				at += p.events.length;
			}
		} catch (err) {
			if (batch.length === 1) return batch[0]!.reject(err);
			// One caller's bad rows must not fail the others: retry one by one.
			for (const p of batch) await this.commit([p]);
		}
	}
}
