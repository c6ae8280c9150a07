// Recomputes the hash chain from the first row and reports the first row
// where it breaks: a changed row no longer matches its hash, a deleted one
// leaves a gap (and a wrong prev_hash), rows deleted from the end leave the
// chain head pointing past the last row.
import type { AuditBackend } from './backend.js';
import { GENESIS_HASH, rowHash } from './event.js';
import type { VerifyResult } from './types.js';

const BATCH = 10_000;

export async function verifyChain(backend: AuditBackend): Promise<VerifyResult> {
	// Rows appended while we check come after this head; they are left for next time.
	const head = await backend.head();
	let expectSeq = 1;
	let prevHash = GENESIS_HASH;
	let checked = 0;
	const broken = (seq: number, problem: string): VerifyResult => ({
		ok: false,
		rowsChecked: checked,
		headHash: head.hash,
		firstBrokenSeq: seq,
		problem,
	});
	for (;;) {
		const rows = await backend.scan(expectSeq - 1, head.seq, BATCH);
		for (const row of rows) {
			if (row.seq !== expectSeq) {
				const missing = row.seq - 1 === expectSeq ? `row ${expectSeq} is missing` : `rows ${expectSeq}-${row.seq - 1} are missing`;
				return broken(expectSeq, `${missing} (deleted): row ${row.seq} follows row ${expectSeq - 1}`);
			}
			if (row.prevHash !== prevHash) {
				return broken(row.seq, `row ${row.seq} does not link to row ${row.seq - 1}: row ${row.seq - 1} was changed or replaced`);
			}
			if (rowHash(row.prevHash, row.seq, row) !== row.hash) {
				return broken(row.seq, `row ${row.seq} was modified: its contents do not match its hash`);
			}
			prevHash = row.hash;
			expectSeq++;
			checked++;
		}
		if (rows.length < BATCH) break;
	}
	if (expectSeq - 1 !== head.seq) {
		const from = expectSeq;
		return broken(from, `${from === head.seq ? `row ${from} is` : `rows ${from}-${head.seq} are`} missing (deleted from the end; the chain head records row ${head.seq})`);
	}
	if (head.hash !== prevHash) {
		return broken(head.seq, `row ${head.seq} does not match the chain head's hash: it was replaced`);
	}
	return { ok: true, rowsChecked: checked, headHash: head.hash };
}
