// What preprocessor conditions ask about the target: kernel version, arch,
// kernel config, runtime, privilege, guru mode, language version. Passes take
// it as a value, so a saved kernel profile can stand in for the local host.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';

export type Runtime = 'kernel' | 'bpf' | 'dyninst';
export type Privilege = 'stapdev' | 'stapsys' | 'stapusr';

export interface PreprocessorTarget {
	/** Full kernel release (`kernel_vr`), e.g. "6.1.0-26-amd64". */
	readonly kernelRelease: string;
	/** Architecture as stap normalises `uname -m` (`arch`), e.g. "x86_64", "i386", "arm64". */
	readonly arch: string;
	/** Kernel config options: CONFIG_NAME -> text after '=' in .config ("y", "m", "64", "\"str\""). */
	readonly kernelConfig: ReadonlyMap<string, string>;
	readonly runtime: Runtime;
	readonly privilege: Privilege;
	readonly guruMode: boolean;
	/** The language version scripts are held to (`systemtap_v`, stap --compatible). */
	readonly compatible: string;
}

/** The version of SystemTap whose language and output we reproduce. */
export const SYSTEMTAP_VERSION = '4.8';

/** `kernel_v`: the release up to its first '-'. */
export function kernelBaseRelease(release: string): string {
	const dash = release.indexOf('-');
	return dash < 0 ? release : release.slice(0, dash);
}

/** stap's normalize_machine: `uname -m` to the kernel's architecture name. */
export function normalizeMachine(machine: string): string {
	if (machine === 'i486' || machine === 'i586' || machine === 'i686') return 'i386';
	if (machine === 'sun4u') return 'sparc64';
	if (machine.startsWith('arm') || machine === 'sa110') return 'arm';
	if (machine === 's390x') return 's390';
	if (machine === 'aarch64') return 'arm64';
	if (machine === 'riscv64') return 'riscv';
	if (machine.startsWith('ppc')) return 'powerpc';
	if (machine.startsWith('mips')) return 'mips';
	if (/^sh[234]/.test(machine)) return 'sh';
	return machine;
}

/** Parse a kernel .config text into CONFIG_ -> value, as stap's parse_kernel_config does. */
export function parseKernelConfig(text: string): Map<string, string> {
	const config = new Map<string, string>();
	for (const line of text.split('\n')) {
		if (!line.startsWith('CONFIG_')) continue;
		const eq = line.indexOf('=');
		if (eq < 0) continue;
		config.set(line.slice(0, eq), line.slice(eq + 1));
	}
	return config;
}

/**
 * A kernel's config: its build tree's .config; for the running kernel, else
 * /proc/config.gz; else empty (every CONFIG_ condition sees "").
 */
function readHostKernelConfig(release: string): Map<string, string> {
	try {
		return parseKernelConfig(readFileSync(`/lib/modules/${release}/build/.config`, 'latin1'));
	} catch {
		/* fall through */
	}
	if (release !== os.release()) return new Map(); // /proc/config.gz describes another kernel
	try {
		return parseKernelConfig(gunzipSync(readFileSync('/proc/config.gz')).toString('latin1'));
	} catch {
		return new Map();
	}
}

export interface TargetOverrides {
	readonly kernelRelease?: string;
	readonly arch?: string;
	readonly runtime?: Runtime;
	readonly privilege?: Privilege;
	readonly guruMode?: boolean;
	readonly compatible?: string;
}

/** The target as the local host describes it (uname release and machine, its kernel config). */
export function hostTarget(overrides: TargetOverrides = {}): PreprocessorTarget {
	const kernelRelease = overrides.kernelRelease ?? os.release();
	return {
		kernelRelease,
		arch: overrides.arch ?? normalizeMachine(os.machine()),
		kernelConfig: readHostKernelConfig(kernelRelease),
		runtime: overrides.runtime ?? 'kernel',
		privilege: overrides.privilege ?? 'stapdev',
		guruMode: overrides.guruMode ?? false,
		compatible: overrides.compatible ?? SYSTEMTAP_VERSION,
	};
}
