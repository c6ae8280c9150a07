// Who the running kernel is: uname, GNU build-id, lockdown mode.
import { readFile } from 'node:fs/promises';
import { hostname, machine, release, version } from 'node:os';
import { gnuBuildIdFromNotes } from './elf-notes.js';
import { ensureSecurityfs } from './mounts.js';
import { reasonOf } from './reasons.js';
import { LOCKDOWN_MODES, type LockdownMode, type Unavailable } from './types.js';

export interface KernelIdentity {
	release: string;
	version: string;
	arch: string;
	hostname: string;
}

export function kernelIdentity(): KernelIdentity {
	return { release: release(), version: version(), arch: machine(), hostname: hostname() };
}

export const KERNEL_NOTES = '/sys/kernel/notes';

/** The running kernel's build-id (what `readelf -n` shows on its vmlinux). */
export async function runningBuildId(): Promise<string> {
	const id = gnuBuildIdFromNotes(await readFile(KERNEL_NOTES));
	if (!id) throw new Error(`${KERNEL_NOTES} holds no GNU build-id note`);
	return id;
}

/** "none [integrity] confidentiality" → "integrity". */
export function parseLockdown(text: string): LockdownMode {
	const m = /\[(\w+)\]/.exec(text);
	const mode = m?.[1] as LockdownMode | undefined;
	return mode && LOCKDOWN_MODES.includes(mode) ? mode : 'unknown';
}

export async function lockdownMode(): Promise<{ mode: LockdownMode; unavailable?: Unavailable }> {
	const fs = await ensureSecurityfs();
	if ('reason' in fs) return { mode: 'unknown', unavailable: { source: '/sys/kernel/security/lockdown', reason: fs.reason } };
	const source = `${fs.path}/lockdown`;
	try {
		return { mode: parseLockdown(await readFile(source, 'utf8')) };
	} catch (err) {
		return { mode: 'unknown', unavailable: { source, reason: reasonOf(err) } };
	}
}
