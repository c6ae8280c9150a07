// `tapfleet agent`: serve this host to controllers until SIGTERM/SIGINT,
// which run every session's end probes before the agent exits.
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { defaultAgentStateDir, defaultPkiDir } from '../../controller/pki/dirs.js';

interface AgentCliOptions {
	listen: string;
	pki?: string;
	plaintext?: boolean;
	stateDir: string;
	taprun?: string;
	maxSessions: string;
	bufferMib: string;
	lease: string;
	maxKernelBufferMib: string;
	policy?: string;
	trustedKeys?: string;
}

function positiveInt(name: string, v: string): number {
	const n = Number(v);
	if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} ${JSON.stringify(v)}: expected a positive integer`);
	return n;
}

export function registerAgent(program: Command): void {
	program
		.command('agent')
		.description('run the agent: load, stream and unload signed modules for controllers')
		.requiredOption('--listen <ADDR>', 'HOST:PORT (mutual TLS) or unix:/PATH (local)')
		.option('--pki <DIR>', 'agent PKI directory from `tapfleet keys issue --agent NAME`')
		.option('--plaintext', 'plain TCP without TLS or client authentication (unsafe; for tests)')
		.option('--state-dir <DIR>', 'journal and session files', defaultAgentStateDir())
		.option('--taprun <PATH>', 'the taprun binary')
		.option('--max-sessions <N>', 'sessions at once', '16')
		.option('--buffer-mib <N>', 'output buffered per session (MiB)', '16')
		.option('--lease <SECONDS>', 'default lease when a load asks for none', '30')
		.option('--max-kernel-buffer-mib <N>', 'the largest kernel-to-taprun buffer a load may ask for (tapfleet run -s: a power of two up to 1024 MiB), MiB', '256')
		.option('--policy <FILE>', 'identity → rights overrides (default PKI/policy.json)')
		.option('--trusted-keys <DIR>', 'module-signing public keys to trust (default PKI/trusted-keys)')
		.action(async (o: AgentCliOptions) => {
			try {
				// Loaded here, not at CLI start: other commands need none of the agent's code.
				const { startAgent } = await import('../../agent/server.js');
				const tcp = !o.listen.startsWith('unix:');
				const agent = await startAgent({
					listen: o.listen,
					pkiDir: o.pki ?? (tcp && !o.plaintext ? join(defaultPkiDir(), 'agents', hostname()) : undefined),
					plaintext: o.plaintext,
					stateDir: o.stateDir,
					taprunPath: o.taprun,
					maxSessions: positiveInt('--max-sessions', o.maxSessions),
					bufferBytes: positiveInt('--buffer-mib', o.bufferMib) * 1024 * 1024,
					defaultLeaseSeconds: positiveInt('--lease', o.lease),
					maxKernelBufferMib: positiveInt('--max-kernel-buffer-mib', o.maxKernelBufferMib),
					policyPath: o.policy,
					trustedKeysDir: o.trustedKeys,
					longLived: true,
				});
				let signals = 0;
				const onSignal = (sig: string) => {
					if (++signals > 1) process.exit(1);
					void agent.stop(`agent stopped (${sig})`).then(() => process.exit(0));
				};
				process.on('SIGTERM', () => onSignal('SIGTERM'));
				process.on('SIGINT', () => onSignal('SIGINT'));
			} catch (e) {
				// Everything that can fail here is configuration: certificates, keys, policy, address.
				process.stderr.write(`tapfleet agent: ${(e as Error).message}\n`);
				process.exitCode = 1;
			}
		});
}
