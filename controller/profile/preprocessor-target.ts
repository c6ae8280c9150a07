// The preprocessor's view of a kernel profile: `kernel_v`/`kernel_vr` from
// the release, `arch` as stap normalises `uname -m`, CONFIG_* from the
// profile's config. With --profile FILE, %( ... %) conditions are thus
// decided for the target kernel, not for the host that compiles.
import {
	normalizeMachine,
	SYSTEMTAP_VERSION,
	type PreprocessorTarget,
	type Runtime,
	type TargetOverrides,
} from '../parse/target.js';
import type { KernelProfile } from './types.js';

/** The runtime `--runtime auto` picks for a profile: kmod where modules load, else bpf (DESIGN.md). */
export function defaultRuntime(profile: KernelProfile): Runtime {
	if (profile.runtimes.kmod.available) return 'kernel';
	if (profile.runtimes.bpf.available) return 'bpf';
	return 'kernel';
}

export function profileToPreprocessorTarget(profile: KernelProfile, overrides: Omit<TargetOverrides, 'kernelRelease' | 'arch'> = {}): PreprocessorTarget {
	return {
		kernelRelease: profile.release,
		arch: normalizeMachine(profile.arch),
		kernelConfig: new Map(Object.entries(profile.config)),
		runtime: overrides.runtime ?? defaultRuntime(profile),
		privilege: overrides.privilege ?? 'stapdev',
		guruMode: overrides.guruMode ?? false,
		compatible: overrides.compatible ?? SYSTEMTAP_VERSION,
	};
}
