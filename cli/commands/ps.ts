// `tapfleet ps`: sessions on hosts, running and recently finished.
import type { Command } from 'commander';
import { clientsFor, connectOptions } from '../../controller/dispatch/connect.js';
import { describeError } from '../../controller/dispatch/agent-client.js';
import { addFleetOptions, runCommand } from './fleet-cli.js';

export function registerPs(program: Command): void {
	addFleetOptions(program.command('ps').description('list sessions on hosts'))
		.option('-a, --all', 'include finished sessions')
		.option('--json', 'one JSON object per session')
		.action((o: { host: string[]; pki?: string; all?: boolean; json?: boolean }) =>
			runCommand('ps', async () => {
				const clients = clientsFor(connectOptions(o.host, o.pki));
				let failed = 0;
				if (!o.json) process.stdout.write('HOST\tSESSION\tMODULE\tSTATE\tOWNER\tPID\tSEQ\tDROPPED\tEND\n');
				await Promise.all(
					clients.map(async (c) => {
						try {
							for (const s of await c.listSessions()) {
								if (!o.all && s.state === 'finished') continue;
								if (o.json) {
									process.stdout.write(JSON.stringify({ host: c.host.label, ...s }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
								} else {
									const end = s.exit ? `${s.exit.reason} (${s.exit.signal || s.exit.exitCode})` : '';
									process.stdout.write(`${c.host.label}\t${s.sessionId}\t${s.moduleName}\t${s.state}\t${s.owner}\t${s.pid}\t${Number(s.nextSeq) - 1}\t${s.droppedRecords}\t${end}\n`);
								}
							}
						} catch (err) {
							failed++;
							process.stderr.write(`tapfleet ps: ${c.host.label}: ${describeError(err)}\n`);
						} finally {
							c.close();
						}
					}),
				);
				return failed === 0 ? 0 : failed === clients.length ? 1 : 3;
			}),
		);
}
