// Which probe kinds and runtimes the kernel offers, found by running
// runtime-c/probe/tapprobe (it loads and attaches tiny BPF programs and
// asks init_module about a junk image), never guessed from the version.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reasonOf } from './reasons.js';
import { CAPABILITY_NAMES, type Capability, type CapabilityName, type RuntimeName, type RuntimeSupport } from './types.js';

const run = promisify(execFile);

/** tapprobe's own names for what it tries. */
const TAPPROBE_NAMES: Record<CapabilityName, string> = {
	tracepoint: 'tracepoint',
	rawTracepoint: 'raw_tracepoint',
	btfTracepoint: 'btf_tracepoint',
	uprobe: 'uprobe',
	perfEvent: 'perf_event',
	kprobe: 'kprobe',
	kprobeMulti: 'kprobe_multi',
	modules: 'modules',
	fentry: 'fentry',
	bpfLoop: 'bpf_loop',
	ringbuf: 'ringbuf',
};
const HELPER_PREFIX = 'helper:';

interface TapprobeResult {
	ok: boolean;
	stage?: string;
	error?: string;
	message?: string;
}

export interface ProbedCapabilities {
	capabilities: Record<CapabilityName, Capability>;
	bpfHelpers: Record<string, boolean>;
	runtimes: Record<RuntimeName, RuntimeSupport>;
}

/** The tapprobe binary: $TAPFLEET_TAPPROBE, or runtime-c/build/tapprobe of this checkout. */
export function tapprobePath(): string {
	if (process.env.TAPFLEET_TAPPROBE) return process.env.TAPFLEET_TAPPROBE;
	// This file runs from dist/controller/profile/.
	return fileURLToPath(new URL('../../../runtime-c/build/tapprobe', import.meta.url));
}

function toCapability(r: TapprobeResult | undefined): Capability {
	if (!r) return { available: false, reason: 'not probed: tapprobe did not report it' };
	if (r.ok) return { available: true };
	return { available: false, error: r.error, reason: `${r.error ?? 'error'} at ${r.stage ?? 'probe'}: ${r.message ?? ''}`.trim() };
}

function allUnknown(reason: string): ProbedCapabilities {
	const capabilities = Object.fromEntries(CAPABILITY_NAMES.map((n) => [n, { available: false, reason: `not probed: ${reason}` }])) as Record<CapabilityName, Capability>;
	return { capabilities, bpfHelpers: {}, runtimes: runtimesFrom(capabilities) };
}

/** Which runtimes can run, and why not, from the probed capabilities. */
export function runtimesFrom(c: Record<CapabilityName, Capability>): Record<RuntimeName, RuntimeSupport> {
	const bpfMissing: string[] = [];
	if (!c.tracepoint.available && !c.rawTracepoint.available) bpfMissing.push(`no BPF tracepoint programs (${c.tracepoint.reason})`);
	if (!c.ringbuf.available) bpfMissing.push(`no BPF ring buffer (${c.ringbuf.reason})`);
	const bpf: RuntimeSupport = bpfMissing.length === 0 ? { available: true } : { available: false, reason: bpfMissing.join('; ') };
	const kmod: RuntimeSupport = c.modules.available
		? { available: true, reason: "needs the target's kernel build tree at compile time" }
		: { available: false, reason: `loadable modules unavailable (${c.modules.reason})` };
	return { bpf, kmod };
}

/** Parses tapprobe's JSON into capabilities, helpers and runtimes. */
export function interpretTapprobe(json: string): ProbedCapabilities {
	const doc = JSON.parse(json) as { schema?: number; probes?: Record<string, TapprobeResult> };
	if (doc.schema !== 1 || typeof doc.probes !== 'object' || doc.probes === null) {
		throw new Error('tapprobe printed an unexpected document (schema 1 expected)');
	}
	const probes = doc.probes;
	const capabilities = Object.fromEntries(CAPABILITY_NAMES.map((n) => [n, toCapability(probes[TAPPROBE_NAMES[n]])])) as Record<CapabilityName, Capability>;
	const bpfHelpers: Record<string, boolean> = {};
	for (const [name, r] of Object.entries(probes)) {
		if (name.startsWith(HELPER_PREFIX)) bpfHelpers[name.slice(HELPER_PREFIX.length)] = r.ok;
	}
	return { capabilities, bpfHelpers, runtimes: runtimesFrom(capabilities) };
}

/** Probes this host. Never throws: a prober that cannot run gives "not probed: why" for everything. */
export async function probeCapabilities(tracefs: string | undefined): Promise<ProbedCapabilities> {
	const tapprobe = tapprobePath();
	if (!existsSync(tapprobe)) return allUnknown(`${tapprobe} is not built (run npm run build)`);
	try {
		const { stdout } = await run(tapprobe, tracefs ? [tracefs] : [], { timeout: 30_000, maxBuffer: 1 << 20 });
		return interpretTapprobe(stdout);
	} catch (err) {
		return allUnknown(`${tapprobe} failed: ${reasonOf(err)}`);
	}
}
