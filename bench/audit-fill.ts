// Filling an audit log with rows shaped like real runs, for the audit
// benchmarks: 10 hosts of a 1000-host fleet per run, over the 30 days
// before END, each run a dispatch, 10 pending, 10 loaded, 10 ended and a
// finished row, written in batches as a busy controller would.
import type { AuditBackend } from '../controller/audit/backend.js';
import type { NewEvent } from '../controller/audit/event.js';

const FLEET = 1000;
export const HOSTS_PER_RUN = 10;
export const ROWS_PER_RUN = 2 + 3 * HOSTS_PER_RUN; // dispatch, finish; pending, loaded, ended per host
const SPAN_MS = 30 * 86_400_000;
const BATCH_ROWS = 5000;
export const END = Date.parse('2026-11-27T00:00:00Z');

/** The rows of run `i`, as the recorder writes them. */
function runRows(i: number, runs: number): NewEvent[] {
	const at = END - SPAN_MS + Math.floor((i * SPAN_MS) / runs);
	const runId = i.toString(16).padStart(12, '0');
	const who = `user:u${i % 50}@ctl`;
	const scriptHash = (i % 200).toString(16).padStart(64, '0');
	const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, k) => `host-${String((i * 7 + k * 101) % FLEET).padStart(4, '0')}`);
	const e = (kind: NewEvent['kind'], dt: number, host: string | null, body: object, sessionId: string | null = null): NewEvent => ({
		atMs: at + dt, kind, runId, host, sessionId, who, scriptHash, body: JSON.stringify(body),
	});
	const controller = { hostname: 'ctl', pid: 1, startTicks: '1' };
	return [
		e('dispatch', 0, null, { hosts, moduleHash: 'm'.repeat(64), scriptText: 'probe timer.s(1) { println("x") }', options: {}, controller }),
		...hosts.map((h) => e('host-pending', 0, h, {})),
		...hosts.map((h, k) => e('host-loaded', 50, h, { loadedAtMs: at + 50 }, `${runId}-${k}`)),
		...hosts.map((h) => e('host-ended', 60_000, h, { endedBy: 'exit', unloadedAtMs: at + 60_000, outputBytes: 100, outputLines: 10, dropped: 0 })),
		e('dispatch-finished', 60_001, null, {}),
	];
}

/** Appends about `rows` rows; returns the seconds it took. */
export async function fill(backend: AuditBackend, rows: number): Promise<number> {
	const runs = Math.ceil(rows / ROWS_PER_RUN);
	let batch: NewEvent[] = [];
	const t0 = Date.now();
	for (let i = 0; i < runs; i++) {
		batch.push(...runRows(i, runs));
		if (batch.length >= BATCH_ROWS || i === runs - 1) {
			await backend.append(batch, false);
			batch = [];
		}
	}
	return (Date.now() - t0) / 1000;
}

