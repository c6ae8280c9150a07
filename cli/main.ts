// tapfleet's command line as a process: stdout's error handling, then the
// command (cli/program.ts).
import { runCli } from './program.js';

// Output piped into `head` and the like: when the reader goes away, a
// command that prints a listing just stops, quietly. Commands that must act
// on it (run unloads everywhere first) install their own listener.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
	if (process.stdout.listenerCount('error') > 1) return;
	if (e.code === 'EPIPE') process.exit(0);
	process.stderr.write(`tapfleet: cannot write the output: ${e.message}\n`);
	process.exit(1);
});

// bin/tapfleet started Node without NODE_EXTRA_CA_CERTS (~40 ms of start-up):
// TLS to peers outside tapfleet's PKI still trusts those certificates.
if (globalThis.__TAPFLEET_DEFERRED_EXTRA_CA__) (await import('../controller/util/extra-ca.js')).trustDeferredExtraCa();

await runCli(process.argv);
// A run that found no warm runner for its environment starts one for the next (cli/warm/client.ts).
globalThis.__TAPFLEET_WARM_START__?.();
