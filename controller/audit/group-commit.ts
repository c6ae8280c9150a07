// Group commit: appends that arrive while a commit is being prepared or is
// in flight are written together in the next transaction. Every caller still
// waits for the commit that holds its rows (durability is unchanged); the
// hosts of a run, recorded concurrently, then cost one commit, not one each.
import type { AuditBackend } from './backend.js';
import type { EventRow, NewEvent } from './event.js';

/** Bound on one transaction, so a burst cannot build an unbounded one. */
const MAX_ROWS_PER_COMMIT = 5000;

interface Pending {
	events: NewEvent[];
	resolve: (rows: EventRow[]) => void;
	reject: (err: unknown) => void;
}

export class GroupCommit {
	private queue: Pending[] = [];
	private flushing = false;

	constructor(private readonly backend: AuditBackend) {}

	append(events: NewEvent[]): Promise<EventRow[]> {
		if (events.length === 0) return Promise.resolve([]);
		return new Promise((resolve, reject) => {
			this.queue.push({ events, resolve, reject });
			if (!this.flushing) {
				this.flushing = true;
				// Let appends made in the same turn of the event loop join this commit.
				setImmediate(() => void this.flush());
			}
		});
	}

	private async flush(): Promise<void> {
		while (this.queue.length > 0) {
			const batch: Pending[] = [];
			let rows = 0;
			while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.events.length <= MAX_ROWS_PER_COMMIT)) {
				const p = this.queue.shift()!;
				rows += p.events.length;
				batch.push(p);
			}
			await this.commit(batch);
		}
		this.flushing = false;
	}

	private async commit(batch: Pending[]): Promise<void> {
		try {
			const written = await this.backend.append(batch.flatMap((p) => p.events));
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
