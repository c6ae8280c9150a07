// `tapfleet unload SESSION --host URI`: end probes run, their output is printed.
import type { Command } from 'commander';
import { clientsFor, connectOptions } from '../../controller/dispatch/connect.js';
import { describeError } from '../../controller/dispatch/agent-client.js';
import { createSink, describeExit } from '../../controller/dispatch/output-sink.js';
import { addFleetOptions, runCommand } from './fleet-cli.js';

export function registerUnload(program: Command): void {
	addFleetOptions(program.command('unload').description("stop a session: run its end probes and print their output").argument('<SESSION>'))
		.option('--force', 'skip the end probes: kill at once')
		.action((sessionId: string, o: { host: string[]; pki?: string; force?: boolean }) =>
			runCommand('unload', async () => {
				const conn = connectOptions(o.host, o.pki);
				if (conn.hosts.length !== 1) throw new Error('give exactly one --host: session ids are per host');
				const [client] = clientsFor(conn);
				try {
					const res = await client.unload(sessionId, !!o.force);
					const sink = createSink('plain', { stdout: process.stdout, stderr: process.stderr });
					for (const rec of res.output) sink.record(client.host.label, sessionId, rec);
					if (res.exit) process.stderr.write(`tapfleet: ${client.host.label}: ${sessionId}: ${describeExit(res.exit)}\n`);
					return res.exit && (res.exit.exitCode !== 0 || res.exit.signal) && !o.force ? 1 : 0;
				} catch (err) {
					throw new Error(`${client.host.label}: ${describeError(err)}`);
				} finally {
					client.close();
				}
			}),
		);
}
