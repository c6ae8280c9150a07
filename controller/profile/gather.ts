// Gathers the profile of the kernel this process runs on. The parts are
// independent and mostly I/O, so they run concurrently; each one that fails
// leaves a recorded reason in `unavailable` instead of failing the whole.
// Only the build-id is indispensable: it is the profile's id.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readBtf } from './btf.js';
import { probeCapabilities } from './capabilities.js';
import { kernelIdentity, lockdownMode, runningBuildId } from './identity.js';
import { parseFilterFunctions, parseKallsymsFunctions } from './kallsyms.js';
import { readRunningKconfig } from './kconfig.js';
import { ensureTracefs } from './mounts.js';
import { reasonOf } from './reasons.js';
import { readTracepoints } from './tracepoints.js';
import { PROFILE_SCHEMA_VERSION, type KernelProfile, type Unavailable } from './types.js';

export interface GatherOptions {
	/** Carry the raw BTF (gzip, base64) for pass 3; default true. */
	carryBtf?: boolean;
}

export interface GatherResult {
	profile: KernelProfile;
	/** Milliseconds per part, and "total". */
	timings: Record<string, number>;
}

export async function gatherLocalProfile(opts: GatherOptions = {}): Promise<GatherResult> {
	const started = performance.now();
	const timings: Record<string, number> = {};
	const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
		const t0 = performance.now();
		try {
			return await work();
		} finally {
			timings[name] = Math.round(performance.now() - t0);
		}
	};
	const unavailable: Unavailable[] = [];
	const identity = kernelIdentity();

	const tracefs = await timed('tracefs', ensureTracefs);
	const tracefsPath = 'path' in tracefs ? tracefs.path : undefined;
	if (!tracefsPath) unavailable.push({ source: 'tracefs', reason: (tracefs as { reason: string }).reason });

	// Started first, these run outside this thread (the prober is a child
	// process, gzip runs on the thread pool) while the synchronous reads below proceed.
	const background = Promise.all([
		timed('capabilities', () => probeCapabilities(tracefsPath)),
		timed('btf', () => readBtf(opts.carryBtf ?? true)),
		timed('buildId', runningBuildId),
		timed('lockdown', lockdownMode),
		timed('config', () => readRunningKconfig(identity.release)),
	]);
	const functions = timedSync(timings, 'kallsyms', () => readSymbols('/proc/kallsyms', parseKallsymsFunctions, unavailable));
	const traceable = tracefsPath
		? timedSync(timings, 'filterFunctions', () => readSymbols(`${tracefsPath}/available_filter_functions`, parseFilterFunctions, unavailable))
		: undefined;
	const tracepoints = tracefsPath ? timedSync(timings, 'tracepoints', () => readTracepoints(tracefsPath)) : undefined;
	const [probed, btf, buildId, lockdown, kconfig] = await background;

	if (lockdown.unavailable) unavailable.push(lockdown.unavailable);
	unavailable.push(...kconfig.unavailable, ...(tracepoints?.unavailable ?? []));
	if (btf.unavailable) unavailable.push(btf.unavailable);

	const profile: KernelProfile = {
		schema: PROFILE_SCHEMA_VERSION,
		buildId,
		...identity,
		gatheredAt: new Date().toISOString(),
		lockdown: lockdown.mode,
		config: kconfig.config,
		...(kconfig.source ? { configSource: kconfig.source } : {}),
		...probed,
		tracepointCommonFields: tracepoints?.commonFields ?? [],
		tracepoints: tracepoints?.tracepoints ?? [],
		symbols: { functions: functions ?? [], ...(traceable ? { traceable } : {}) },
		btf: btf.btf,
		unavailable,
	};
	unavailable.sort((a, b) => a.source.localeCompare(b.source));
	timings.total = Math.round(performance.now() - started);
	return { profile, timings };
}

function timedSync<T>(timings: Record<string, number>, name: string, work: () => T): T {
	const t0 = performance.now();
	try {
		return work();
	} finally {
		timings[name] = Math.round(performance.now() - t0);
	}
}

// Synchronous on purpose: procfs and tracefs files are generated in memory, and sync reads of them are much faster.
function readSymbols(path: string, parse: (text: string) => string[], unavailable: Unavailable[]): string[] | undefined {
	try {
		return parse(readFileSync(path, 'utf8'));
	} catch (err) {
		unavailable.push({ source: path, reason: reasonOf(err) });
		return undefined;
	}
}
