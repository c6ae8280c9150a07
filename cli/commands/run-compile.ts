// `tapfleet run SCRIPT --host ...` for a host whose kernel is not this
// machine's: its profile is fetched from that host's agent once per
// build-id (then cached), the runtime chosen from it (--runtime), and the
// script compiled for it; the choice is noted once per build-id on stderr.
import { status } from '@grpc/grpc-js';
import { compileForProfile } from '../../controller/build/remote-pipeline.js';
import type { RuntimeRequest } from '../../controller/build/runtime-choice.js';
import type { LatePassOptions, ScriptInput } from '../../controller/build/script-pipeline.js';
import type { AgentClient } from '../../controller/dispatch/agent-client.js';
import { readModuleDir, type ModuleOnDisk } from '../../controller/dispatch/module-dir.js';
import type { HostInfo } from '../../proto/gen/tapfleet/v1/agent.js';
import { ScriptCompileError } from '../../controller/dispatch/compile-error.js';
import { diagnosticsText } from './compile-diagnostics.js';

/**
 * The first GetKernelProfile makes the agent gather its profile, which can
 * keep a slow host busy long enough for the connection to drop; the agent
 * keeps what it gathered, so asking again is cheap.
 */
async function fetchProfile(client: AgentClient, buildId: string) {
	const { profileFor } = await import('../../controller/dispatch/profile-fetch.js');
	for (let attempt = 1; ; attempt++) {
		try {
			return (await profileFor(client, buildId)).profile;
		} catch (e) {
			if ((e as { code?: number }).code !== status.UNAVAILABLE || attempt === 3) throw e;
			process.stderr.write(`tapfleet: ${client.host.label}: fetching its kernel profile: ${(e as Error).message}; asking again\n`);
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
}

export async function compileForHost(input: ScriptInput, runtime: RuntimeRequest, late: Pick<LatePassOptions, 'defines' | 'symbolFiles'>,
	buildId: string, info: HostInfo, client: AgentClient, quietWarnings: boolean): Promise<ModuleOnDisk> {
	const profile = await fetchProfile(client, buildId);
	const r = await compileForProfile(input, profile, runtime, late);
	const diagnostics = diagnosticsText(r.stderr, quietWarnings);
	if (r.choice) process.stderr.write(`tapfleet: ${client.host.label}: ${r.choice.reason}\n`);
	if (!r.ok || !r.moduleDir) throw new ScriptCompileError(`compiling ${input.name} for ${info.kernelRelease} (build-id ${buildId})`, diagnostics.trimEnd());
	if (diagnostics) process.stderr.write(diagnostics);
	return readModuleDir(r.moduleDir);
}
