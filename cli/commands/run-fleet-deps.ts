// The fleet side of `tapfleet run` (gRPC, the dispatch, the audit of runs
// through agents, the output sink), imported as one module once the -c/-o
// branch is behind: -c and -o need none of it, and one import makes fewer
// bundle chunks than four (each chunk costs its own load).
export { connectOptions } from '../../controller/dispatch/connect.js';
export { Dispatch, runExitStatus } from '../../controller/dispatch/fanout.js';
export { openRunAudit } from '../../controller/dispatch/run-audit.js';
export { createSink } from '../../controller/dispatch/output-sink.js';
