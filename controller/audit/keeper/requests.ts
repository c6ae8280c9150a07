// The keeper's side of a request: its arguments checked against the
// AuditBackend method it names, then the call. Only processes of the same
// user can reach the socket (its directory is 0700), so this guards against
// a client of another tapfleet version or a bug, not an attacker: still,
// nothing unchecked reaches the backend.
import type { AuditBackend, EventFilter } from '../backend.js';
import { EVENT_KINDS, type EventKind, type NewEvent } from '../event.js';
import type { KeeperBackendOp } from './protocol.js';

export class KeeperRequestError extends Error {}

const KINDS: ReadonlySet<string> = new Set(EVENT_KINDS);

export function fail(op: string, what: string): never {
	throw new KeeperRequestError(`audit keeper: bad ${op} request: ${what}`);
}

export function count(op: string, args: unknown[], n: number, optional = 0): void {
	if (args.length < n || args.length > n + optional) fail(op, `${args.length} arguments, expected ${optional ? `${n}-${n + optional}` : n}`);
}

export function num(op: string, v: unknown, what: string): number {
	if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${what} is not a number`);
	return v;
}

export function str(op: string, v: unknown, what: string): string {
	if (typeof v !== 'string') fail(op, `${what} is not a string`);
	return v;
}

function strOrNull(op: string, v: unknown, what: string): string | null {
	return v === null ? null : str(op, v, what);
}

export function strings(op: string, v: unknown, what: string): string[] {
	if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(op, `${what} is not a list of strings`);
	return v as string[];
}

function newEvent(op: string, v: unknown, i: number): NewEvent {
	if (typeof v !== 'object' || v === null) fail(op, `event ${i} is not an object`);
	const e = v as Record<string, unknown>;
	if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) fail(op, `event ${i} has an unknown kind`);
	return {
		atMs: num(op, e.atMs, `event ${i}'s atMs`),
		kind: e.kind as EventKind,
		runId: strOrNull(op, e.runId, `event ${i}'s runId`),
		host: strOrNull(op, e.host, `event ${i}'s host`),
		sessionId: strOrNull(op, e.sessionId, `event ${i}'s sessionId`),
		who: strOrNull(op, e.who, `event ${i}'s who`),
		scriptHash: strOrNull(op, e.scriptHash, `event ${i}'s scriptHash`),
		body: str(op, e.body, `event ${i}'s body`),
	};
}

function filter(op: string, v: unknown): EventFilter {
	if (typeof v !== 'object' || v === null) fail(op, 'the filter is not an object');
	const f = v as Record<string, unknown>;
	const out: EventFilter = {};
	if (f.host !== undefined) out.host = str(op, f.host, 'host');
	if (f.who !== undefined) out.who = str(op, f.who, 'who');
	if (f.sinceMs !== undefined) out.sinceMs = num(op, f.sinceMs, 'sinceMs');
	if (f.untilMs !== undefined) out.untilMs = num(op, f.untilMs, 'untilMs');
	if (f.scriptHashPrefix !== undefined) out.scriptHashPrefix = str(op, f.scriptHashPrefix, 'scriptHashPrefix');
	if (f.kinds !== undefined) {
		const kinds = strings(op, f.kinds, 'kinds');
		if (!kinds.every((k) => KINDS.has(k))) fail(op, 'kinds names an unknown kind');
		out.kinds = kinds as EventKind[];
	}
	return out;
}

/**
 * Calls the backend method a request names, with checked arguments; the
 * answer's value is what that method returned, Maps as lists of entries
 * (JSON has no Map; client.ts turns them back).
 */
export async function serveRequest(backend: AuditBackend, op: KeeperBackendOp, args: unknown[]): Promise<unknown> {
	switch (op) {
		case 'hello':
			fail(op, 'hello is answered by the server');
			break;
		case 'migrate':
			count(op, args, 0);
			return backend.migrate();
		case 'append': {
			count(op, args, 2);
			if (!Array.isArray(args[0]) || args[0].length === 0) fail(op, 'events is not a non-empty list');
			if (typeof args[1] !== 'boolean') fail(op, 'durable is not a boolean');
			return backend.append(args[0].map((e, i) => newEvent(op, e, i)), args[1]);
		}
		case 'find':
			count(op, args, 2);
			return backend.find(filter(op, args[0]), num(op, args[1], 'limit'));
		case 'eventsOfRuns':
			count(op, args, 1, 1);
			return backend.eventsOfRuns(strings(op, args[0], 'runIds'), args[1] === undefined || args[1] === null ? undefined : strings(op, args[1], 'onHosts'));
		case 'sessionEvents':
			count(op, args, 2);
			return backend.sessionEvents(str(op, args[0], 'host'), str(op, args[1], 'sessionId'));
		case 'runIdsWithPrefix':
			count(op, args, 2);
			return backend.runIdsWithPrefix(str(op, args[0], 'prefix'), num(op, args[1], 'limit'));
		case 'openDispatches':
			count(op, args, 1);
			return backend.openDispatches(num(op, args[0], 'sinceMs'));
		case 'scan':
			count(op, args, 3);
			return backend.scan(num(op, args[0], 'afterSeq'), num(op, args[1], 'uptoSeq'), num(op, args[2], 'limit'));
		case 'head':
			count(op, args, 0);
			return backend.head();
		case 'lastJournalImports':
			count(op, args, 1);
			return [...(await backend.lastJournalImports(strings(op, args[0], 'hosts')))];
		case 'noteJournalImports':
			count(op, args, 2);
			return backend.noteJournalImports(strings(op, args[0], 'hosts'), num(op, args[1], 'atMs'));
		case 'runChecks': {
			count(op, args, 3);
			const checks = await backend.runChecks(strings(op, args[0], 'hosts'), num(op, args[1], 'sinceMs'), num(op, args[2], 'interruptedLimit'));
			return { open: checks.open, lastImports: [...checks.lastImports], interrupted: checks.interrupted };
		}
	}
	fail(String(op), 'unknown request');
}
