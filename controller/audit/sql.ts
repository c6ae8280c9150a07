// SQL shared by both backends, written with `?` placeholders (PostgreSQL's
// backend numbers them). Keeping the queries here is what makes the two
// backends answer identically.
import type { EventFilter } from './backend.js';
import type { EventRow } from './event.js';

export interface Sql {
	text: string;
	params: unknown[];
}

export const EVENT_COLUMNS = 'seq, at_ms, kind, run_id, host, session_id, who, script_hash, body, prev_hash, hash';

/** Above every hex digit and id character, so [p, p + '~') is "starts with p". */
const PREFIX_END = '~';
const SHA256_HEX_CHARS = 64;

export function findSql(f: EventFilter, limit: number): Sql {
	const where: string[] = [];
	const params: unknown[] = [];
	const add = (clause: string, ...values: unknown[]) => {
		where.push(clause);
		params.push(...values);
	};
	if (f.host !== undefined) add('host = ?', f.host);
	if (f.who !== undefined) {
		// `alice` finds user:alice@<any host> and cert:alice; a full identity finds itself.
		add('(who = ? OR who = ? OR (who >= ? AND who < ?))', f.who, `cert:${f.who}`, `user:${f.who}@`, `user:${f.who}@${PREFIX_END}`);
	}
	if (f.sinceMs !== undefined) add('at_ms >= ?', f.sinceMs);
	if (f.untilMs !== undefined) add('at_ms <= ?', f.untilMs);
	if (f.scriptHashPrefix !== undefined && f.scriptHashPrefix.length === SHA256_HEX_CHARS) {
		// A whole hash: equality lets (script_hash, at_ms) serve the ORDER BY too.
		add('script_hash = ?', f.scriptHashPrefix);
	} else if (f.scriptHashPrefix !== undefined) {
		add('script_hash >= ? AND script_hash < ?', f.scriptHashPrefix, f.scriptHashPrefix + PREFIX_END);
	}
	if (f.kinds !== undefined) add(`kind IN (${f.kinds.map(() => '?').join(', ')})`, ...f.kinds);
	const whereText = where.length ? `WHERE ${where.join(' AND ')}` : '';
	return {
		text: `SELECT ${EVENT_COLUMNS} FROM audit_log ${whereText} ORDER BY at_ms DESC LIMIT ?`,
		params: [...params, limit],
	};
}

/** The rows of these runs; with `onHosts`, only each run's dispatch and its rows on those hosts. */
export function eventsOfRunsSql(runIds: readonly string[], onHosts?: readonly string[]): Sql {
	const runs = `run_id IN (${runIds.map(() => '?').join(', ')})`;
	if (onHosts === undefined) return { text: `SELECT ${EVENT_COLUMNS} FROM audit_log WHERE ${runs} ORDER BY seq`, params: [...runIds] };
	const hosts = onHosts.length ? ` OR host IN (${onHosts.map(() => '?').join(', ')})` : '';
	return {
		text: `SELECT ${EVENT_COLUMNS} FROM audit_log WHERE ${runs} AND (kind = 'dispatch'${hosts}) ORDER BY seq`,
		params: [...runIds, ...onHosts],
	};
}

export function sessionEventsSql(host: string, sessionId: string): Sql {
	return {
		text: `SELECT ${EVENT_COLUMNS} FROM audit_log WHERE host = ? AND session_id = ? ORDER BY seq`,
		params: [host, sessionId],
	};
}

export function runIdsWithPrefixSql(prefix: string, limit: number): Sql {
	// Through the run_id index alone: every row of a run carries its id, and a
	// filter on kind here would tempt the planner into scanning all dispatches.
	return {
		text: 'SELECT DISTINCT run_id FROM audit_log WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT ?',
		params: [prefix, prefix + PREFIX_END, limit],
	};
}

/** Row kinds that close a run (it leaves audit_open_run). */
export const CLOSING_KINDS = ['dispatch-finished', 'run-interrupted'] as const;

/** The dispatch rows of runs still open (audit_open_run, migration 5) since sinceMs. */
export function openDispatchesSql(sinceMs: number): Sql {
	// The few open runs first, then each one's dispatch through the run index.
	// CROSS JOIN makes SQLite keep that order whatever it knows of the tables:
	// without statistics (a log nobody has queried with `tapfleet audit`
	// has none) it chose the plain join or the IN (...) form the other way
	// round, walking every dispatch of the log through the kind index: 25 ms
	// a run at 9,000 runs, growing with the log. PostgreSQL plans it freely.
	return {
		text: `SELECT ${EVENT_COLUMNS.split(', ').map((c) => `l.${c}`).join(', ')}
			FROM audit_open_run o CROSS JOIN audit_log l
			WHERE o.at_ms >= ? AND l.run_id = o.run_id AND l.kind = 'dispatch' ORDER BY l.seq`,
		params: [sinceMs],
	};
}

export function scanSql(afterSeq: number, uptoSeq: number, limit: number): Sql {
	return {
		text: `SELECT ${EVENT_COLUMNS} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
		params: [afterSeq, uptoSeq, limit],
	};
}

export const HEAD_SQL = 'SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1';

/** A database row (column names as stored) to an EventRow; BIGINTs may arrive as strings. */
export function toEventRow(r: Record<string, unknown>): EventRow {
	return {
		seq: Number(r.seq),
		atMs: Number(r.at_ms),
		kind: r.kind as EventRow['kind'],
		runId: (r.run_id as string | null) ?? null,
		host: (r.host as string | null) ?? null,
		sessionId: (r.session_id as string | null) ?? null,
		who: (r.who as string | null) ?? null,
		scriptHash: (r.script_hash as string | null) ?? null,
		body: r.body as string,
		prevHash: r.prev_hash as string,
		hash: r.hash as string,
	};
}

export function lastJournalImportsSql(hosts: readonly string[]): Sql {
	return {
		text: `SELECT host, imported_at_ms FROM audit_journal_import WHERE host IN (${hosts.map(() => '?').join(', ')})`,
		params: [...hosts],
	};
}

export function noteJournalImportsSql(hosts: readonly string[], atMs: number): Sql {
	return {
		text: `INSERT INTO audit_journal_import (host, imported_at_ms) VALUES ${hosts.map(() => '(?, ?)').join(', ')}
			ON CONFLICT (host) DO UPDATE SET imported_at_ms = excluded.imported_at_ms`,
		params: hosts.flatMap((h) => [h, atMs]),
	};
}
