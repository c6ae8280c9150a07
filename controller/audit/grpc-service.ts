// tapfleet.v1.AuditService: the audit queries for programmatic clients.
// Bad input gets INVALID_ARGUMENT, an unknown run NOT_FOUND, a caller
// without the right PERMISSION_DENIED, a database failure UNAVAILABLE,
// each with a message; never a stack trace.
import { status, type Server, type ServerErrorResponse, type sendUnaryData } from '@grpc/grpc-js';
import {
	AuditEntry as AuditEntryMessage,
	AuditRun,
	AuditServiceService,
	GetAuditRunResponse,
	ListAuditEntriesResponse,
	VerifyAuditLogResponse,
	type AuditServiceServer,
} from '../../proto/gen/tapfleet/v1/audit.js';
import type { PeerCertificate } from 'node:tls';
import { DEFAULT_RIGHTS, roleFromOu } from '../pki/identity.js';
import { AuditInputError } from './limits.js';
import type { AuditLog } from './open.js';
import { MAX_LISTING_LIMIT, RunNotFoundError } from './query.js';
import type { AuditEntry, RunView } from './types.js';

function toStatus(err: unknown): ServerErrorResponse & { code: status } {
	const message = err instanceof Error ? err.message : String(err);
	if (err instanceof AuditInputError) return Object.assign(new Error(message), { code: status.INVALID_ARGUMENT });
	if (err instanceof RunNotFoundError) return Object.assign(new Error(message), { code: status.NOT_FOUND });
	if (err instanceof ReaderDeniedError) return Object.assign(new Error(message), { code: status.PERMISSION_DENIED });
	return Object.assign(new Error(`audit database error: ${message}`), { code: status.UNAVAILABLE });
}

/** Runs `work` and answers the call with its result or a status. */
function answer<T>(callback: sendUnaryData<T>, work: () => Promise<T>): void {
	work().then(
		(value) => callback(null, value),
		(err) => callback(toStatus(err)),
	);
}

function optionalMs(what: string, v: bigint): number | undefined {
	if (v === 0n) return undefined;
	if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new AuditInputError(`${what} must be a positive number of milliseconds`);
	return Number(v);
}

const big = (n: number | undefined) => BigInt(n ?? 0);

export function entryMessage(e: AuditEntry): AuditEntryMessage {
	return AuditEntryMessage.fromPartial({
		kind: e.kind,
		atUnixMs: big(e.atMs),
		runId: e.runId ?? '',
		host: e.host ?? '',
		who: e.who ?? '',
		scriptHash: e.scriptHash ?? '',
		moduleHash: e.moduleHash ?? '',
		outcome: e.outcome,
		detail: e.detail ?? '',
		firstSeq: big(e.firstSeq),
	});
}

export function runMessage(r: RunView): AuditRun {
	return AuditRun.fromPartial({
		runId: r.runId,
		who: r.who,
		startedUnixMs: big(r.startedAtMs),
		finishedUnixMs: big(r.finishedAtMs),
		state: r.state,
		scriptHash: r.scriptHash,
		scriptText: r.scriptText,
		moduleHash: r.moduleHash,
		optionsJson: JSON.stringify(r.options),
		controller: r.controller,
		hosts: r.hosts.map((h) => ({
			host: h.host,
			state: h.state,
			sessionId: h.sessionId ?? '',
			loadedUnixMs: big(h.loadedAtMs),
			firstOutputUnixMs: big(h.firstOutputAtMs),
			unloadedUnixMs: big(h.unloadedAtMs),
			endedBy: h.endedBy ?? '',
			message: h.message ?? '',
			outputBytes: big(h.outputBytes),
			outputLines: big(h.outputLines),
			dropped: big(h.dropped),
			refusal: h.refusal ?? '',
			source: h.source ?? '',
		})),
	});
}

/** The part of a grpc-js server call that carries the TLS peer. */
interface CallWithPeer {
	getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * Over mutual TLS, only identities with the "observe" right by their role
 * (controllers and observers from `tapfleet keys`) may read the audit;
 * agents' certificates come from the same CA but may not.
 */
function checkReader(call: CallWithPeer): void {
	const cert = call.getAuthContext()?.sslPeerCertificate;
	const cn = cert?.subject?.CN;
	const identity = (Array.isArray(cn) ? cn[0] : cn) ?? '(no certificate)';
	const role = roleFromOu(cert?.subject?.OU);
	if (!role || !DEFAULT_RIGHTS[role].includes('observe')) {
		throw new ReaderDeniedError(`identity "${identity}" (role ${role ?? 'none'}) may not read the audit log: it needs a controller or observer certificate`);
	}
}

class ReaderDeniedError extends Error {}

export interface AuditServiceOptions {
	/** Check each caller's client certificate (set when serving over mutual TLS). */
	checkCallers: boolean;
}

export function auditServiceImplementation(audit: AuditLog, opts: AuditServiceOptions = { checkCallers: false }): AuditServiceServer {
	const guard = <T>(call: CallWithPeer, callback: sendUnaryData<T>, work: () => Promise<T>) =>
		answer(callback, async () => {
			if (opts.checkCallers) checkReader(call);
			return work();
		});
	return {
		listAuditEntries: (call, callback) =>
			guard(call, callback, async () => {
				const q = call.request;
				const listing = await audit.list({
					host: q.host || undefined,
					user: q.user || undefined,
					sinceMs: optionalMs('since_unix_ms', q.sinceUnixMs),
					untilMs: optionalMs('until_unix_ms', q.untilUnixMs),
					scriptHash: q.scriptHash || undefined,
					limit: q.limit === 0 ? undefined : Math.min(q.limit, MAX_LISTING_LIMIT),
				});
				return ListAuditEntriesResponse.fromPartial({ entries: listing.entries.map(entryMessage), truncated: listing.truncated });
			}),
		getAuditRun: (call, callback) =>
			guard(call, callback, async () => {
				if (!call.request.runId) throw new AuditInputError('run_id is required');
				return GetAuditRunResponse.fromPartial({ run: runMessage(await audit.show(call.request.runId)) });
			}),
		verifyAuditLog: (call, callback) =>
			guard(call, callback, async () => {
				const v = await audit.verify();
				return VerifyAuditLogResponse.fromPartial({
					ok: v.ok,
					rowsChecked: big(v.rowsChecked),
					headHash: v.headHash,
					firstBrokenSeq: big(v.firstBrokenSeq),
					problem: v.problem ?? '',
				});
			}),
	};
}

/** Adds tapfleet.v1.AuditService, answering from `audit`, to a gRPC server. */
export function addAuditService(server: Server, audit: AuditLog, opts?: AuditServiceOptions): void {
	server.addService(AuditServiceService, auditServiceImplementation(audit, opts));
}
