// The kernel a module is built for: its build-id and release, and where its
// BTF comes from (the local /sys/kernel/btf/vmlinux, or a kernel profile
// that carries it for a host this controller cannot reach).
import { readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { gnuBuildIdFromNotes } from '../profile/elf-notes.js';
import { profileBtf, VMLINUX_BTF } from '../profile/btf.js';
import type { KernelProfile } from '../profile/types.js';
import { BuildError } from './toolchain.js';

export interface BuildTarget {
	buildId: string;
	release: string;
	arch: string;
	/** The raw BTF: a file path, or a function producing the bytes (read only on a PCH cache miss). */
	btf: { path: string } | { bytes: () => Buffer };
}

/** This host, without gathering a whole profile. */
export function localBuildTarget(): BuildTarget {
	let notes: Buffer;
	try {
		notes = readFileSync('/sys/kernel/notes');
	} catch (e) {
		throw new BuildError(`cannot read this kernel's build-id from /sys/kernel/notes: ${(e as Error).message}`);
	}
	const buildId = gnuBuildIdFromNotes(notes);
	if (!buildId) throw new BuildError('/sys/kernel/notes has no GNU build-id');
	return { buildId, release: release(), arch: arch() === 'x64' ? 'x86_64' : arch(), btf: { path: VMLINUX_BTF } };
}

/** A profiled kernel; its BTF must travel in the profile. */
export function profileBuildTarget(profile: KernelProfile): BuildTarget {
	return {
		buildId: profile.buildId,
		release: profile.release,
		arch: profile.arch,
		btf: {
			bytes: () => {
				const raw = profileBtf(profile);
				if (!raw) throw new BuildError(`the profile of ${profile.buildId} (${profile.release}) carries no BTF: the bpf runtime needs it`);
				return raw;
			},
		},
	};
}
