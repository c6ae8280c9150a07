// How V8 compiles the agent's code. A run costs each agent a TLS handshake,
// three calls, a spawn and a few records: a few hundred JavaScript functions
// (grpc-js, HTTP/2, TLS, ours), each run a handful of times, then nothing
// until the next run. V8 starts every function in its interpreter and
// compiles it only once it is hot, which such code never gets: measured with
// 50 agents (bench/agent-fleet.ts), each spent ~20 ms of CPU per run, of which
// ~5 ms went away when every function is compiled to baseline machine code
// (Sparkplug, a fast non-optimising compiler) on its first call. That is
// right for a long-lived agent, not for the agent inside a one-shot
// `tapfleet run`, where most code runs once (its CPU grew ~40 ms with it).
import { setFlagsFromString } from 'node:v8';

let applied = false;

/** Compiles every function to baseline code on its first call, from now on (process-wide). */
export function preferBaselineCode(): void {
	if (applied) return;
	applied = true;
	setFlagsFromString('--always-sparkplug');
}
