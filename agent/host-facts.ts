// Facts about this host that the agent reports and checks against: above
// all the running kernel's build-id, read from /sys/kernel/notes and never
// from configuration, so that no setting can make a module built for
// another kernel look acceptable.
import { existsSync, readFileSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';
import { gnuBuildIdFromNotes } from '../controller/profile/elf-notes.js';

export const KERNEL_NOTES = '/sys/kernel/notes';

export function runningKernelBuildId(): string {
	const id = gnuBuildIdFromNotes(readFileSync(KERNEL_NOTES));
	if (!id) throw new Error(`${KERNEL_NOTES} holds no GNU build-id note`);
	return id;
}

/** Kernel architecture in the kernel's spelling (x86_64, aarch64), as `uname -m`. */
export function kernelArch(): string {
	const a = arch();
	return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

export interface HostFacts {
	hostname: string;
	release: string;
	arch: string;
	buildId: string;
}

export function hostFacts(): HostFacts {
	return { hostname: hostname(), release: release(), arch: kernelArch(), buildId: runningKernelBuildId() };
}

/** Runtimes that can work here: bpf needs taprun and BTF; kmod needs loadable modules. */
export function availableRuntimes(taprunPath: string | undefined): string[] {
	const runtimes: string[] = [];
	if (taprunPath && existsSync(taprunPath) && existsSync('/sys/kernel/btf/vmlinux')) runtimes.push('bpf');
	if (taprunPath && existsSync(taprunPath) && existsSync('/proc/modules') && readFileOr('/proc/sys/kernel/modules_disabled', '1').trim() === '0') runtimes.push('kmod');
	return runtimes;
}

function readFileOr(path: string, fallback: string): string {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return fallback;
	}
}
