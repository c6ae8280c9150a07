// `tapfleet hosts`: each agent's kernel build, runtimes, versions and counters.
import type { Command } from 'commander';
import { clientsFor, connectOptions } from '../../controller/dispatch/connect.js';
import { describeError } from '../../controller/dispatch/agent-client.js';
import { addFleetOptions, runCommand } from './fleet-cli.js';

export function registerHosts(program: Command): void {
	addFleetOptions(program.command('hosts').description("show each host's kernel build-id, runtimes, versions and counters"))
		.option('--json', 'one JSON object per host')
		.action((o: { host: string[]; pki?: string; json?: boolean }) =>
			runCommand('hosts', async () => {
				const clients = clientsFor(connectOptions(o.host, o.pki));
				const results = await Promise.all(clients.map((c) => c.hostInfo().then((info) => ({ info }), (err) => ({ err: describeError(err) }))));
				let failed = 0;
				for (const [i, r] of results.entries()) {
					const host = clients[i].host.label;
					if ('err' in r) {
						failed++;
						process.stdout.write(o.json ? JSON.stringify({ host, error: r.err }) + '\n' : `${host}  unreachable: ${r.err}\n`);
						continue;
					}
					const h = r.info;
					const c = h.counters!;
					if (o.json) {
						process.stdout.write(JSON.stringify({ host, ...h }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
					} else {
						process.stdout.write(
							`${host}  ${h.agentName} (${h.hostname})  ${h.kernelRelease} ${h.arch}  build-id ${h.buildId}\n` +
								`  runtimes: ${h.runtimes.join(', ') || 'none'}; agent ${h.agentVersion}, taprun ${h.runtimeVersion}; load ${h.loadAverage.map((l) => l.toFixed(2)).join(' ')}\n` +
								`  sessions: ${c.sessionsRunning} running, ${c.sessionsStarted} started, ${c.loadsRefused} refused; output ${c.outputRecords} records, ${c.outputBytes} bytes; dropped ${c.droppedRecords} records; ${c.subscribers} subscribers; rss ${Math.round(Number(c.residentMemoryBytes) / 1048576)} MiB\n` +
								`  you are "${h.callerIdentity}" with rights: ${h.callerRights.join(', ') || 'none'}\n`,
						);
					}
				}
				for (const c of clients) c.close();
				return failed === 0 ? 0 : failed === clients.length ? 1 : 3;
			}),
		);
}
