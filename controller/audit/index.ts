// The central audit log: what was compiled and loaded where, by whom, from
// when to when, how it ended, and proof that the record is whole.
//
// How dispatch uses it (`tapfleet run`), in this order:
//
//   const audit = await openAuditLog(opts.auditDb);   // --audit-db URL, or the default SQLite file
//   await audit.recordCompile({ who, scriptText, moduleHash, targetBuildId, targetRelease, runtime, toolVersions });
//   // Write-ahead: committed before anything is sent to any agent.
//   const run = await audit.beginDispatch({ who, hosts, moduleHash, scriptText, options });
//   //   pass run.runId to each agent with the load, so agents' journals can name it
//   await run.hostRefused(host, 'build-id-mismatch', message);      // controller refused a host
//   await run.hostLoaded(host, { sessionId, loadedAtMs });           // after the agent's Load reply
//   await run.hostEnded(host, { endedBy: 'exit', firstOutputAtMs, unloadedAtMs,
//                               outputBytes, outputLines, dropped, message });
//   await run.finish();                                              // every host is done
//   await audit.close();
//
// endedBy: 'exit' | 'time-limit' | 'interrupt' (Ctrl-C) | 'lease-expiry' | 'agent-restart' | 'unload' | 'error';
// endReasonFromAgent(sessionExit.reason) maps the agent's SessionExit.reason words.
// Only beginDispatch must be awaited before acting (it is committed and flushed
// to disk at once); the later records may be collected and awaited before
// exit. Records made concurrently share one commit; with
// openAuditLog(spec, { batchMs }) the records after the write-ahead one wait up
// to batchMs to share it, and audit.endBatching() / close() write them at once
// (group-commit.ts: what a kill or a power loss can cost).
// audit.journalImportsDue(hosts) says which hosts' agent journals a run should
// import (once a minute, or when a dead controller's run there lacks its end);
// audit.noteJournalImports(hosts) after importing them.
// Refusals with no run: audit.recordRefusal({ who, reason, message, host? }).
// Agents' journals: audit.importAgentJournal(host, journalFromSessions(listSessionsReply.sessions))
// (or journalFromAgentLines(journal.read()) for an agent's journal file);
// idempotent; loads no controller record explains are flagged "unmatched".
// Identities: identityFromCertificate(cn) or localIdentity().
//
// A controller killed mid-run leaves the run incomplete; the next controller to
// open the log on that machine records it as interrupted (openAuditLog does it).
// Every write is a new hash-chained row: audit.verify() names the first broken row.
// Reading: audit.list({ host, user, sinceMs, untilMs, scriptHash, limit }), audit.show(runId).
// gRPC: addAuditService(server, audit) serves tapfleet.v1.AuditService.
// Errors: AuditInputError (bad record), AuditOpenError (cannot open), RunNotFoundError.
export { openAuditLog, AuditLog, AuditOpenError, type OpenOptions } from './open.js';
export { newRunId } from './audit-log.js';
export { RunRecorder } from './run-recorder.js';
export { AuditInputError, LIMITS } from './limits.js';
export { RunNotFoundError } from './query.js';
export { parseAuditDb, defaultAuditDbPath, AuditDbUrlError } from './location.js';
export { localIdentity, identityFromCertificate } from './identity.js';
export { addAuditService } from './grpc-service.js';
export * from './types.js';
export { journalFromSessions, journalFromAgentLines, endReasonFromAgent, type AgentSessionLike, type AgentJournalLine } from './agent-journal.js';
export { serveAudit, prepareServe, AuditServeError, type ServeOptions, type RunningAuditServer } from './grpc-server.js';
export { parseTimeSpec } from './time-spec.js';
export { renderEntries, renderRun, renderVerify } from './render.js';
