// `tapfleet compile --runtime auto|bpf|kmod [-r RELEASE | --kernel-tree DIR]`:
// which runtime passes 2-4 target, against which kernel. -p2 and
// `tapfleet list` print one line on stderr saying which runtime and why;
// -p3/-p4 with kmod write and kbuild the kernel module.
import { runKmodLatePasses, kmodTargetFor, type TreeRequest } from '../../controller/build/kmod-pipeline.js';
import { chooseRuntime, runtimeLine, type RuntimeChoice } from '../../controller/build/runtime-choice.js';
import type { LatePassOptions, PipelineResult } from '../../controller/build/script-pipeline.js';
import { compileProfile } from '../../controller/elaborate/target-profile.js';
import type { Pass1Result } from '../../controller/parse/index.js';
import type { KernelProfile } from '../../controller/profile/types.js';

/** The runtimes tapfleet builds for, besides stap's names for pass 1 (kernel = kmod). */
export const TAPFLEET_RUNTIMES = ['auto', 'bpf', 'kmod'] as const;

export interface RuntimeOptions {
	runtime?: string;
	r?: string;
	kernelTree?: string;
	profile?: string;
}

/** stap's runtime name for pass 1's preprocessor (`%( runtime == "kernel" %)`). */
export function preprocessorRuntime(runtime: string | undefined): 'kernel' | 'bpf' | 'dyninst' | undefined {
	if (runtime === 'kmod') return 'kernel';
	if (runtime === 'auto') return undefined;
	return runtime as 'kernel' | 'bpf' | 'dyninst' | undefined;
}

/** -r RELEASE / --kernel-tree DIR, when given. */
export function treeRequest(o: RuntimeOptions): TreeRequest | undefined {
	if (o.kernelTree) return { treeDir: o.kernelTree };
	if (o.r) return { release: o.r };
	return undefined;
}

/** True when passes 2-4 must go through the runtime choice (not the plain bpf path for this host). */
export function wantsRuntimeChoice(o: RuntimeOptions): boolean {
	return o.runtime === 'auto' || o.runtime === 'kmod' || (o.kernelTree !== undefined && o.runtime !== 'bpf');
}

/** The target profile: --profile, else the tree's kernel (-r/--kernel-tree), else this host. */
export async function targetProfile(o: RuntimeOptions): Promise<KernelProfile> {
	const tree = treeRequest(o);
	if (!o.profile && tree) return (await kmodTargetFor(tree)).profile;
	return compileProfile(o.profile);
}

export async function runtimeChoice(o: RuntimeOptions, profile: KernelProfile): Promise<RuntimeChoice> {
	const requested = (o.runtime ?? 'auto') as 'auto' | 'bpf' | 'kmod';
	return chooseRuntime(profile, requested, treeRequest(o));
}

/** Passes 3-4 after the runtime choice; the choice's line goes first on stderr. */
export async function chosenLatePasses(p1: Pass1Result, pass: 3 | 4, o: RuntimeOptions, late: LatePassOptions,
	bpf: () => Promise<PipelineResult>): Promise<PipelineResult> {
	let choice: RuntimeChoice;
	let profile: KernelProfile;
	try {
		profile = await targetProfile(o);
		choice = await runtimeChoice(o, profile);
	} catch (e) {
		return { ok: false, stderr: `tapfleet compile: ${(e as Error).message}\n` };
	}
	const line = o.runtime === 'auto' ? runtimeLine(choice) : '';
	if (choice.runtime === 'bpf') {
		if (treeRequest(o)) return { ok: false, stderr: `${line}tapfleet compile: the bpf runtime builds for this host's kernel here; to build for ${o.r ?? o.kernelTree} use tapfleet run --host (its profile comes from the host)\n` };
		const r = await bpf();
		return { ...r, stderr: line + r.stderr };
	}
	const r = await runKmodLatePasses(p1, pass, choice.tree!, late, o.profile ? profile : undefined);
	return { ...r, stderr: line + r.stderr };
}
