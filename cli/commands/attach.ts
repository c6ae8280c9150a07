// `tapfleet attach SESSION --host URI`: stream a session's output from where
// you were (--from SEQ) or from the oldest record still buffered. Ctrl-C
// detaches; the session keeps running.
import type { Command } from 'commander';
import { clientsFor, connectOptions } from '../../controller/dispatch/connect.js';
import { followSession } from '../../controller/dispatch/follow.js';
import { createSink, describeExit, type OutputFormat } from '../../controller/dispatch/output-sink.js';
import { addFleetOptions, runCommand } from './fleet-cli.js';

export function registerAttach(program: Command): void {
	addFleetOptions(program.command('attach').description("stream a running session's output; Ctrl-C detaches").argument('<SESSION>'))
		.option('--from <SEQ>', 'first sequence number to show (0 = oldest buffered)', '0')
		.option('--prefix', 'prefix every line with the host')
		.option('--json', 'one JSON object per output record: host, session, seq, stream, and text (when the bytes are UTF-8) or base64')
		.option('--hold-lease', 'keep the session alive like its controller does')
		.action((sessionId: string, o: { host: string[]; pki?: string; from: string; prefix?: boolean; json?: boolean; holdLease?: boolean }) =>
			runCommand('attach', async () => {
				const conn = connectOptions(o.host, o.pki);
				if (conn.hosts.length !== 1) throw new Error('give exactly one --host: session ids are per host');
				if (!/^\d+$/.test(o.from)) throw new Error(`--from ${o.from}: expected a sequence number`);
				const [client] = clientsFor(conn);
				const format: OutputFormat = o.json ? 'json' : o.prefix ? 'prefix' : 'plain';
				const sink = createSink(format, { stdout: process.stdout, stderr: process.stderr });
				const follower = followSession(client, sessionId, sink, { holdLease: !!o.holdLease, fromSeq: BigInt(o.from), reconnectWindowMs: 30_000 });
				const detach = () => follower.stop();
				process.once('SIGINT', detach);
				const r = await follower.done;
				process.off('SIGINT', detach);
				sink.end?.(); // a last line left unfinished (detached, or the session ended without its end)
				client.close();
				if (r.exit) {
					if (format !== 'json') process.stderr.write(`tapfleet: ${client.host.label}: ${sessionId}: ${describeExit(r.exit)}\n`);
					return r.exit.exitCode === 0 && !r.exit.signal ? 0 : 1;
				}
				if (r.error === 'stopped') {
					process.stderr.write(`tapfleet: detached from ${sessionId} after seq ${r.lastSeq}; resume with --from ${r.lastSeq + 1n}\n`);
					return 0;
				}
				throw new Error(`${client.host.label}: ${r.error}`);
			}),
		);
}
