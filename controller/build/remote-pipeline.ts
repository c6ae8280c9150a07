// Passes 1-4 of one script for a kernel this controller does not run: the
// kernel profile fetched from an agent of that build (cached by build-id)
// is what pass 2 resolves against, and the runtime is chosen from it
// (--runtime auto: kmod where modules load there and a kernel tree of that
// exact build is here, bpf otherwise; runtime-choice.ts). kmod builds
// against the tree; bpf against the BTF the profile carries.
import type { Program } from '../elaborate/program.js';
import { DEFAULT_TAPSET_DIR } from '../parse/library.js';
import { hostTarget, runPass1 } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { TranslateError } from '../translate/module-context.js';
import { buildKmodScript, kmodTargetFor } from './kmod-pipeline.js';
import { chooseRuntime, type RuntimeChoice, type RuntimeRequest } from './runtime-choice.js';
import type { LatePassOptions, PipelineResult, ScriptInput } from './script-pipeline.js';
import { buildScriptModule } from './script-module.js';
import { profileBuildTarget } from './target.js';
import { BuildError } from './toolchain.js';

export interface RemoteCompile extends PipelineResult {
	choice?: RuntimeChoice;
}

async function build(program: Program, text: string, input: ScriptInput, profile: KernelProfile, choice: RuntimeChoice, opts: LatePassOptions) {
	if (choice.runtime === 'kmod') {
		const { target } = await kmodTargetFor(choice.tree!);
		// the tree's image decides: a tree of another build never reaches a host
		if (target.buildId !== profile.buildId) throw new BuildError(`the kernel tree ${target.tree} is for build-id ${target.buildId}, the host runs ${profile.buildId}`);
		return buildKmodScript(program, text, input.name, target, opts);
	}
	return buildScriptModule({ program, scriptText: text, scriptName: input.name, moduleName: opts.moduleName, target: profileBuildTarget(profile), defines: opts.defines, symbolFiles: opts.symbolFiles });
}

/** Passes 1-4 for the kernel `profile` describes. */
export async function compileForProfile(input: ScriptInput, profile: KernelProfile, runtime: RuntimeRequest, opts: LatePassOptions = {}): Promise<RemoteCompile> {
	let choice: RuntimeChoice;
	try {
		choice = await chooseRuntime(profile, runtime);
	} catch (e) {
		return { ok: false, stderr: `${(e as Error).message}\n` };
	}
	const target = hostTarget({ kernelRelease: profile.release, arch: profile.arch, guruMode: !!input.guru, runtime: choice.runtime === 'kmod' ? 'kernel' : 'bpf' });
	const p1 = runPass1({ target, args: input.args, includePaths: [DEFAULT_TAPSET_DIR, ...(input.includePaths ?? [])], scripts: [{ name: input.name, text: input.text }] });
	if (!p1.files) return { ok: false, choice, stderr: p1.session.diags.render() + 'Pass 1: parse failed.  [man error::pass1]\n' };
	const { runPass2 } = await import('../elaborate/index.js');
	const p2 = runPass2({ profile, session: p1.session, userFiles: p1.files, guru: p1.session.target.guruMode });
	const stderr = p1.session.diags.render();
	if (!p2.program) return { ok: false, choice, stderr: stderr + 'Pass 2: analysis failed.  [man error::pass2]\n' };
	try {
		const built = await build(p2.program, p1.files[0]?.file.contents ?? '', input, profile, choice, opts);
		return { ok: true, choice, stderr, moduleDir: built.dir, cached: built.cached };
	} catch (e) {
		if (e instanceof TranslateError) return { ok: false, choice, stderr: `${stderr}${e.message}\nPass 3: translation failed.  [man error::pass3]\n` };
		if (e instanceof BuildError) return { ok: false, choice, stderr: `${stderr}${e.message}\nPass 4: compilation failed.  [man error::pass4]\n` };
		throw e;
	}
}
