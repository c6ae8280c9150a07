// A kernel profile for a kernel one has the build tree and image of, but is
// not running (the VM's kernel, or a production kernel compiled for from a
// development machine). What a running kernel would have to be asked
// (tracepoint formats, lockdown, what really loads) is left out and listed
// in `unavailable`; what the kernel's configuration decides is derived from
// .config and says so.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runtimesFrom } from '../profile/capabilities.js';
import { parseKallsymsFunctions } from '../profile/kallsyms.js';
import { parseKconfig } from '../profile/kconfig.js';
import { CAPABILITY_NAMES, PROFILE_SCHEMA_VERSION, type BtfInfo, type Capability, type CapabilityName, type KernelProfile, type Unavailable } from '../profile/types.js';
import { btfFunctionNames } from './btf-functions.js';
import { elfHeaderFacts, elfSection, unameMachine } from './elf-sections.js';
import { kernelTreeImage, type KernelImage } from './image.js';
import { kallsymsFromVmlinux } from './kallsyms-image.js';
import { firstExisting, systemMapCandidates, type KernelTree } from './locate.js';

export interface TreeProfileOptions {
	/** A kernel image to use instead of looking for one. */
	imagePath?: string;
	/** Carry the raw BTF (gzip, base64), as gathered profiles do; default true. */
	carryBtf?: boolean;
}

/** Capabilities as the configuration allows them: each names the options it rests on. */
const CONFIG_RULES: Record<CapabilityName, { all: string[]; minVersion?: [number, number] }> = {
	tracepoint: { all: ['CONFIG_TRACEPOINTS', 'CONFIG_BPF_EVENTS'] },
	rawTracepoint: { all: ['CONFIG_BPF_EVENTS'] },
	btfTracepoint: { all: ['CONFIG_BPF_EVENTS', 'CONFIG_DEBUG_INFO_BTF'] },
	uprobe: { all: ['CONFIG_UPROBE_EVENTS'] },
	perfEvent: { all: ['CONFIG_PERF_EVENTS'] },
	kprobe: { all: ['CONFIG_KPROBES', 'CONFIG_KPROBE_EVENTS'] },
	kprobeMulti: { all: ['CONFIG_FPROBE'], minVersion: [5, 18] },
	modules: { all: ['CONFIG_MODULES'] },
	fentry: { all: ['CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS', 'CONFIG_BPF_JIT'] },
	bpfLoop: { all: ['CONFIG_BPF_SYSCALL'], minVersion: [5, 17] },
	ringbuf: { all: ['CONFIG_BPF_SYSCALL'], minVersion: [5, 8] },
};

function kernelVersion(release: string): [number, number] {
	const m = /^(\d+)\.(\d+)/.exec(release);
	return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function capabilitiesFromConfig(config: Record<string, string>, release: string): Record<CapabilityName, Capability> {
	const [major, minor] = kernelVersion(release);
	const entries = CAPABILITY_NAMES.map((name): [CapabilityName, Capability] => {
		const rule = CONFIG_RULES[name];
		const missing = rule.all.filter((opt) => config[opt] !== 'y');
		if (missing.length > 0) return [name, { available: false, reason: `${missing.join(', ')} not set in the tree's .config` }];
		if (rule.minVersion && (major < rule.minVersion[0] || (major === rule.minVersion[0] && minor < rule.minVersion[1]))) {
			return [name, { available: false, reason: `needs Linux ${rule.minVersion.join('.')} or later (the tree is ${release})` }];
		}
		return [name, { available: true, reason: `from the tree's .config (${rule.all.join(', ')}); not tried on a running kernel` }];
	});
	return Object.fromEntries(entries) as Record<CapabilityName, Capability>;
}

/** UTS_VERSION (`uname -v`) from the tree's generated headers. */
function treeUtsVersion(tree: KernelTree): string | undefined {
	for (const file of ['include/generated/utsversion.h', 'include/generated/compile.h']) {
		try {
			const m = /#define UTS_VERSION "([^"]*)"/.exec(readFileSync(join(tree.dir, file), 'utf8'));
			if (m) return m[1];
		} catch {
			// the next file, or none
		}
	}
	return undefined;
}

/**
 * Kernel function names: System.map when the tree has a real one, else the
 * kernel's own kallsyms table decoded from the image, else the functions
 * the kernel's BTF describes. (Debian's System.map is a one-line
 * placeholder pointing at the 858 MB -dbg package.)
 */
function kernelFunctions(tree: KernelTree, image: KernelImage, btfRaw: Buffer | undefined, unavailable: Unavailable[]): string[] {
	let why: string;
	try {
		const systemMap = firstExisting(tree, 'System.map', systemMapCandidates(tree), 'it comes with the kernel image package');
		const functions = parseKallsymsFunctions(readFileSync(systemMap, 'utf8'));
		if (functions.length > 0) return functions;
		why = `${systemMap} names no functions (a placeholder: Debian keeps the real one in linux-image-${tree.release}-dbg)`;
	} catch (err) {
		why = (err as Error).message;
	}
	const kallsyms = kallsymsFromVmlinux(image.vmlinux);
	if (kallsyms) return parseKallsymsFunctions(kallsyms.map((s) => `0 ${s}`).join('\n'));
	if (!btfRaw) {
		unavailable.push({ source: 'System.map', reason: `${why}; the image's kallsyms table was not found, and it has no BTF to take function names from` });
		return [];
	}
	unavailable.push({ source: 'System.map', reason: `${why}; the image's kallsyms table was not found: function names come from the kernel's BTF (functions without debug info are missing)` });
	return btfFunctionNames(btfRaw);
}

function btfInfo(image: KernelImage, raw: Buffer | undefined, carry: boolean): { btf: BtfInfo; unavailable?: Unavailable } {
	if (!raw) return { btf: { present: false }, unavailable: { source: `${image.path} .BTF`, reason: 'the kernel has no .BTF section (CONFIG_DEBUG_INFO_BTF off)' } };
	const btf: BtfInfo = { present: true, path: `${image.path}:.BTF`, size: raw.length, sha256: createHash('sha256').update(raw).digest('hex') };
	if (carry) btf.gzipBase64 = gzipSync(raw, { level: 6 }).toString('base64');
	return { btf };
}

export function kernelProfileFromTree(tree: KernelTree, options: TreeProfileOptions = {}): KernelProfile {
	const unavailable: Unavailable[] = [
		{ source: 'tracefs', reason: 'a kernel tree has no tracepoint formats; gather the profile on the running kernel for kernel.trace probes' },
		{ source: 'lockdown', reason: 'decided at boot (Secure Boot, lockdown=), not by the tree' },
	];
	const image = kernelTreeImage(tree, options.imagePath);
	const config = parseKconfig(readFileSync(tree.config, 'utf8'));
	const capabilities = capabilitiesFromConfig(config, tree.release);
	const version = treeUtsVersion(tree);
	if (!version) unavailable.push({ source: join(tree.dir, 'include/generated/utsversion.h'), reason: 'no UTS_VERSION' });

	const btfRaw = elfSection(image.vmlinux, '.BTF');
	const btf = btfInfo(image, btfRaw, options.carryBtf ?? true);
	if (btf.unavailable) unavailable.push(btf.unavailable);
	const functions = kernelFunctions(tree, image, btfRaw, unavailable);

	return {
		schema: PROFILE_SCHEMA_VERSION,
		buildId: image.buildId,
		release: tree.release,
		version: version ?? '',
		arch: unameMachine(elfHeaderFacts(image.vmlinux).machine),
		// A tree belongs to no host; the profile names where it came from instead.
		hostname: '',
		gatheredAt: new Date().toISOString(),
		lockdown: 'unknown',
		config,
		configSource: tree.config,
		capabilities,
		bpfHelpers: {},
		runtimes: runtimesFrom(capabilities),
		tracepointCommonFields: [],
		tracepoints: [],
		symbols: { functions },
		btf: btf.btf,
		unavailable,
	};
}
