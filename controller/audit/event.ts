// The one thing the audit store holds: append-only, hash-chained event rows.
// A run's current state is never updated in place; it is derived by folding
// its events (see runs.ts), so completing a record never rewrites a hashed row.
import { createHash } from 'node:crypto';

export const EVENT_KINDS = [
	'compile', // a module was compiled
	'dispatch', // write-ahead: a run is about to load a module on `hosts`
	'host-pending', // write-ahead, one per host, in the same transaction as its dispatch
	'host-loaded', // the agent reported the load and its session id
	'host-ended', // the controller saw the session end
	'refusal', // something was refused (for a run's host, or on its own)
	'dispatch-finished', // the controller completed the run
	'run-interrupted', // the controller that owned the run died before completing it
	'journal-load', // imported from an agent's journal
	'journal-unload',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** An event before it has its place in the chain. */
export interface NewEvent {
	atMs: number;
	kind: EventKind;
	runId: string | null;
	host: string | null;
	sessionId: string | null;
	who: string | null;
	scriptHash: string | null;
	/** JSON text; stored and hashed verbatim. */
	body: string;
}

/** The columns of a new row; left-out ones are null, the time is now. */
export interface EventFields {
	kind: EventKind;
	runId?: string | null;
	host?: string | null;
	sessionId?: string | null;
	who?: string | null;
	scriptHash?: string | null;
	body: object;
	atMs?: number;
}

export function makeEvent(f: EventFields): NewEvent {
	return {
		atMs: f.atMs ?? Date.now(),
		kind: f.kind,
		runId: f.runId ?? null,
		host: f.host ?? null,
		sessionId: f.sessionId ?? null,
		who: f.who ?? null,
		scriptHash: f.scriptHash ?? null,
		body: JSON.stringify(f.body),
	};
}

export interface EventRow extends NewEvent {
	seq: number;
	prevHash: string;
	hash: string;
}

/** The prev_hash of row 1. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash of a row: every stored column except the hash itself, with the
 * previous row's hash first, so editing, inserting or deleting any row breaks
 * the chain from there on. JSON encoding keeps column boundaries unambiguous.
 */
export function rowHash(prevHash: string, seq: number, e: NewEvent): string {
	const payload = JSON.stringify([seq, e.atMs, e.kind, e.runId, e.host, e.sessionId, e.who, e.scriptHash, e.body]);
	return createHash('sha256').update(`${prevHash}\n${payload}`).digest('hex');
}

/** Gives events their sequence numbers and hashes, continuing from the chain head. */
export function chainEvents(head: ChainHead, events: NewEvent[]): EventRow[] {
	let { seq, hash } = head;
	return events.map((e) => {
		seq += 1;
		const row: EventRow = { ...e, seq, prevHash: hash, hash: rowHash(hash, seq, e) };
		hash = row.hash;
		return row;
	});
}

export interface ChainHead {
	seq: number;
	hash: string;
}

export function sha256Hex(text: string | Uint8Array): string {
	return createHash('sha256').update(text).digest('hex');
}
