// tracefs and securityfs are often not mounted on minimal hosts (this one
// included). The profile needs both, so mount them where they belong when
// we may; otherwise report why not.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { reasonOf } from './reasons.js';

const run = promisify(execFile);

export type MountResult = { path: string } | { reason: string };

async function exists(path: string): Promise<boolean> {
	return (await accessError(path)) === undefined;
}

/** Why path cannot be read, or undefined when it can. */
async function accessError(path: string): Promise<NodeJS.ErrnoException | undefined> {
	try {
		await access(path, constants.R_OK);
		return undefined;
	} catch (err) {
		return err as NodeJS.ErrnoException;
	}
}

async function isMountedOn(fsType: string, dir: string): Promise<boolean> {
	const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
	return mounts.split('\n').some((line) => {
		const [, mountPoint, type] = line.split(' ');
		return type === fsType && mountPoint === dir;
	});
}

/**
 * Finds a pseudo filesystem by a file that must exist in it (probe, relative
 * to the mount point), trying each candidate directory; mounts it on the
 * first candidate if none has it.
 */
export async function ensureMounted(fsType: string, candidates: string[], probe: string): Promise<MountResult> {
	for (const dir of candidates) {
		const err = await accessError(`${dir}/${probe}`);
		if (!err) return { path: dir };
		// There but unreadable (not root): mounting again would not help.
		if (err.code !== 'ENOENT') return { reason: `cannot read ${dir}/${probe}: ${err.message}` };
	}
	const target = candidates[0];
	// Another process (a concurrent gathering) may mount it at any moment:
	// every failure path looks once more before it gives its reason.
	const mountedMeanwhile = async (reason: string): Promise<MountResult> =>
		(await exists(`${target}/${probe}`)) ? { path: target } : { reason };
	if (await isMountedOn(fsType, target)) return mountedMeanwhile(`${fsType} is mounted on ${target} but has no ${probe}`);
	try {
		await run('mount', ['-t', fsType, fsType, target], { timeout: 10_000 });
	} catch (err) {
		const stderr = (err as { stderr?: string }).stderr?.trim();
		return mountedMeanwhile(`${fsType} is not mounted and mounting it on ${target} failed: ${stderr || reasonOf(err)}`);
	}
	return mountedMeanwhile(`${fsType} mounted on ${target} but ${probe} is missing`);
}

export function ensureTracefs(): Promise<MountResult> {
	return ensureMounted('tracefs', ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'], 'events');
}

export function ensureSecurityfs(): Promise<MountResult> {
	return ensureMounted('securityfs', ['/sys/kernel/security'], 'lockdown');
}
