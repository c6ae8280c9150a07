// `--runtime auto|bpf|kmod`: which runtime a target kernel gets, and why.
// kmod where the target's profile says modules load and a kernel tree of
// exactly that build is available on this controller (`-r RELEASE`,
// `--kernel-tree DIR`, or /lib/modules/<the target's release>/build);
// bpf otherwise. The reason is one line for -p2 and `tapfleet list`.
import { existsSync } from 'node:fs';
import type { KernelProfile } from '../profile/types.js';
import type { TreeRequest } from './kmod-pipeline.js';

export type RuntimeRequest = 'auto' | 'bpf' | 'kmod';

export interface RuntimeChoice {
	runtime: 'bpf' | 'kmod';
	/** Why, in one line. */
	reason: string;
	/** kmod: the tree to build against. */
	tree?: TreeRequest;
}

const short = (id: string) => id.slice(0, 12);

/** The kernel tree for a profile: the one asked for, else /lib/modules/<release>/build; its build-id must match. */
async function matchingTree(profile: KernelProfile, asked?: TreeRequest): Promise<{ tree?: TreeRequest; why: string }> {
	const request = asked ?? { release: profile.release };
	const where = 'treeDir' in request ? request.treeDir : `/lib/modules/${request.release}/build`;
	if (!asked && !existsSync(where)) return { why: `no kernel tree for ${profile.release} here (${where}; apt-get install linux-headers-${profile.release})` };
	try {
		const { locateKernelTree } = await import('../kernel-tree/locate.js');
		const { kernelTreeBuildId } = await import('../kernel-tree/image.js');
		const { buildId } = kernelTreeBuildId(locateKernelTree(request));
		if (buildId !== profile.buildId) return { why: `the kernel tree ${where} is for build-id ${short(buildId)}, the target runs ${short(profile.buildId)}` };
		return { tree: request, why: `kernel tree ${where} matches build-id ${short(buildId)}` };
	} catch (e) {
		return { why: (e as Error).message };
	}
}

export async function chooseRuntime(profile: KernelProfile, requested: RuntimeRequest, tree?: TreeRequest): Promise<RuntimeChoice> {
	const target = `${profile.release} (build-id ${short(profile.buildId)})`;
	if (requested === 'bpf') return { runtime: 'bpf', reason: `bpf for ${target}: asked for with --runtime bpf` };
	const modules = profile.capabilities.modules;
	const kmod = profile.runtimes.kmod;
	const loads = modules?.available && kmod?.available !== false;
	const noModules = `the kernel does not load modules (${modules?.reason ?? kmod?.reason ?? 'its profile says so'})`;
	if (requested === 'kmod') {
		const t = await matchingTree(profile, tree);
		if (!t.tree) throw new Error(`--runtime kmod for ${target}: ${t.why}`);
		return { runtime: 'kmod', reason: `kmod for ${target}: asked for with --runtime kmod; ${t.why}`, tree: t.tree };
	}
	if (!loads) return { runtime: 'bpf', reason: `bpf for ${target}: ${noModules}` };
	const t = await matchingTree(profile, tree);
	if (!t.tree) return { runtime: 'bpf', reason: `bpf for ${target}: modules load there, but ${t.why}` };
	return { runtime: 'kmod', reason: `kmod for ${target}: modules load there and the ${t.why}`, tree: t.tree };
}

/** The line -p2 and `tapfleet list` print. */
export function runtimeLine(c: RuntimeChoice): string {
	return `# runtime: ${c.reason}\n`;
}
