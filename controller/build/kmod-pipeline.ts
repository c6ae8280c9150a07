// Passes 2-4 of one script for the kmod runtime, against a kernel tree
// (`-r RELEASE` or `--kernel-tree DIR`): the target's build-id comes from
// the tree's kernel image; pass 2 resolves probes against a profile of that
// kernel (a cached one gathered from a running host of that build-id when
// there is one: it has tracepoint formats; else one made from the tree);
// pass 3 writes the kmod C; pass 4 kbuilds it (cached).
import type { Pass1Result } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import type { Program } from '../elaborate/program.js';
import { TranslateError } from '../translate/module-context.js';
import { translateKmod } from '../translate/kmod/translate-kmod.js';
import { probedUserFiles } from '../module/user-files.js';
import { buildKmodModule, type KmodTarget } from './kmod-module.js';
import type { LatePassOptions, PipelineResult } from './script-pipeline.js';
import { defaultModuleName } from './script-module.js';
import { BuildError } from './toolchain.js';

export type TreeRequest = { release: string } | { treeDir: string };

/** The tree, its build-id and a profile of its kernel; errors say what is missing. */
export async function kmodTargetFor(request: TreeRequest): Promise<{ target: KmodTarget; profile: KernelProfile }> {
	const { locateKernelTree } = await import('../kernel-tree/locate.js');
	const { kernelTreeBuildId } = await import('../kernel-tree/image.js');
	const tree = locateKernelTree(request);
	const { buildId } = kernelTreeBuildId(tree);
	const { cachedProfile } = await import('../profile/cache.js');
	let profile = cachedProfile(buildId);
	if (!profile) {
		const { kernelProfileFromTree } = await import('../kernel-tree/profile.js');
		profile = kernelProfileFromTree(tree, { carryBtf: false });
	}
	return { target: { tree: tree.dir, release: tree.release, arch: profile.arch, buildId }, profile };
}

/** Passes 3-4 for kmod of an elaborated program. */
export async function buildKmodScript(program: Program, scriptText: string, scriptName: string, target: KmodTarget, opts: LatePassOptions) {
	const name = opts.moduleName ?? defaultModuleName(scriptText);
	const translation = translateKmod(program, { name, scriptName, symbolFiles: opts.symbolFiles });
	const built = await buildKmodModule({
		name, source: translation.source, scriptText, target, defines: opts.defines, probes: translation.probes, globals: translation.globals,
		runsCommands: translation.runsCommands, guru: translation.guru, userFiles: probedUserFiles(program.probes),
	});
	return { ...built, translation };
}

/** `given`: a profile to resolve against (--profile), which must be of the tree's kernel. */
export async function runKmodLatePasses(p1: Pass1Result, lastPass: 3 | 4, request: TreeRequest, opts: LatePassOptions = {}, given?: KernelProfile): Promise<PipelineResult> {
	const scriptName = p1.files?.[0]?.file.name ?? '<input>';
	if (!p1.files) return { ok: false, stderr: p1.session.diags.render() + 'Pass 1: parse failed.  [man error::pass1]\n' };
	let target: KmodTarget;
	let profile: KernelProfile;
	try {
		({ target, profile } = await kmodTargetFor(request));
		if (given && given.buildId !== target.buildId) throw new Error(`the profile is of build-id ${given.buildId} (${given.release}), the kernel tree ${target.tree} is of ${target.buildId}`);
		profile = given ?? profile;
	} catch (e) {
		return { ok: false, stderr: `${(e as Error).message}\nPass 4: compilation failed.  [man error::pass4]\n` };
	}
	const { runPass2 } = await import('../elaborate/index.js');
	const p2 = runPass2({ profile, session: p1.session, userFiles: p1.files, guru: p1.session.target.guruMode });
	const stderr = p1.session.diags.render();
	if (!p2.program) return { ok: false, stderr: stderr + 'Pass 2: analysis failed.  [man error::pass2]\n' };
	const text = p1.files[0]?.file.contents ?? '';
	try {
		if (lastPass === 3) return { ok: true, stderr, source: translateKmod(p2.program, { name: opts.moduleName ?? 'stap', scriptName, symbolFiles: opts.symbolFiles }).source };
		const built = await buildKmodScript(p2.program, text, scriptName, target, opts);
		return { ok: true, stderr, moduleDir: built.dir, cached: built.cached };
	} catch (e) {
		if (e instanceof TranslateError) return { ok: false, stderr: `${stderr}${e.message}\nPass 3: translation failed.  [man error::pass3]\n` };
		if (e instanceof BuildError) return { ok: false, stderr: `${stderr}${e.message}\nPass 4: compilation failed.  [man error::pass4]\n` };
		throw e;
	}
}
