// A saved profile decides the preprocessor's conditions, not the compiling host.
import test from 'ava';
import { defaultRuntime, profileToPreprocessorTarget } from '../../controller/profile/preprocessor-target.js';
import { gatherLocalProfile } from '../../controller/profile/gather.js';
import { hostTarget } from '../../controller/parse/target.js';
import type { KernelProfile } from '../../controller/profile/types.js';

let local: KernelProfile;
test.before(async () => {
	local = (await gatherLocalProfile({ carryBtf: false })).profile;
});

test('the local profile gives the same release and arch as the host target, and its own config', (t) => {
	const fromProfile = profileToPreprocessorTarget(local, { runtime: 'kernel' });
	const host = hostTarget();
	t.is(fromProfile.kernelRelease, host.kernelRelease);
	t.is(fromProfile.arch, host.arch);
	t.deepEqual(fromProfile.kernelConfig, new Map(Object.entries(local.config)));
	t.is(fromProfile.kernelConfig.get('CONFIG_BPF_SYSCALL'), 'y');
	t.is(fromProfile.runtime, 'kernel');
});

test('a foreign profile: its release, stap-normalised arch, config; runtime picked from its capabilities', (t) => {
	const foreign: KernelProfile = {
		...local,
		release: '6.1.0-26-arm64',
		arch: 'aarch64',
		config: { CONFIG_KPROBES: 'y', CONFIG_MODULES: 'y' },
		runtimes: { bpf: { available: true }, kmod: { available: true } },
	};
	const target = profileToPreprocessorTarget(foreign);
	t.is(target.kernelRelease, '6.1.0-26-arm64');
	t.is(target.arch, 'arm64');
	t.is(target.kernelConfig.get('CONFIG_KPROBES'), 'y');
	t.is(target.runtime, 'kernel');
	t.is(defaultRuntime(local), 'bpf', 'this host has no loadable modules');
	t.is(profileToPreprocessorTarget(foreign, { runtime: 'bpf', guruMode: true }).runtime, 'bpf');
});
