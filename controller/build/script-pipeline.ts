// A script through passes 1-4, for `tapfleet compile -p3/-p4` and the local
// `tapfleet run`: parse (pass 1), elaborate against this host's kernel
// (pass 2), translate (pass 3), build (pass 4, cached). Diagnostics are
// stap's text; a failure names its pass as stap does.
// A cached script (the common case of a repeated `tapfleet run`) loads none of
// passes 1-4: the parser, elaborator, translator and builder are imported
// only on a miss, and the host's kernel config is read only then too.
import { passNote } from '../util/pass-report.js';
import { release, machine } from 'node:os';
import { DEFAULT_TAPSET_DIR } from '../parse/library.js';
import type { Pass1Result } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { localBuildTarget, profileBuildTarget } from './target.js';
import { BuildError } from './toolchain.js';
import { frontKey, frontLookup, frontStore } from './front-cache.js';
import { defaultCacheDir } from '../pki/dirs.js';
import { fileURLToPath } from 'node:url';

export interface ScriptInput {
	/** `<input>` for -e, else the path as given. */
	name: string;
	/** The text for -e or stdin; null: read the file `name`. */
	text: string | null;
	/** Script arguments as byte strings. */
	args: string[];
	includePaths?: string[];
	guru?: boolean;
}

export interface PipelineResult {
	ok: boolean;
	/** Diagnostics in stap's words (for stderr). */
	stderr: string;
	/** -p3: the C; -p4 and run: the module directory. */
	source?: string;
	moduleDir?: string;
	cached?: boolean;
}

/**
 * This host's kernel profile (what pass 2 resolves against), from the
 * profile cache by build-id; gathered (~1.4 s) and cached on first use.
 */
function localProfile(buildId: string): Promise<KernelProfile> {
	// one started early (startLateInputs) is taken by the pass 2 it was started for
	const early = earlyProfiles.get(buildId);
	earlyProfiles.delete(buildId);
	return early ?? loadLocalProfile(buildId);
}

const earlyProfiles = new Map<string, Promise<KernelProfile>>();

async function loadLocalProfile(buildId: string): Promise<KernelProfile> {
	const { cachedProfile, cacheProfileInBackground } = await import('../profile/cache.js');
	const cached = cachedProfile(buildId);
	if (cached) return cached;
	const { gatherLocalProfile } = await import('../profile/gather.js');
	const { profile } = await gatherLocalProfile();
	// Cached while the passes go on (this command's process stays until it is written). A
	// cache that cannot be written costs the next run another gathering, not this run.
	cacheProfileInBackground(profile).catch((err: Error) => process.stderr.write(`tapfleet: ${err.message} (it is gathered again next time)\n`));
	return profile;
}

function scriptText(p1: Pass1Result): string {
	return p1.files?.[0]?.file.contents ?? '';
}

export interface LatePassOptions {
	/** -m NAME */
	moduleName?: string;
	/** -D NAME=VALUE */
	defines?: Record<string, string>;
	/** The kernel to build for (a saved profile, `compile --profile`; it must carry BTF); default this host. */
	profile?: KernelProfile;
	/**
	 * -d FILE: programs and libraries whose symbols a module carries for
	 * naming user-space addresses, beyond the files its probes are in (stap's
	 * -d): kmod's frames; on bpf, usymname(), usymdata() in kernel-side
	 * probes (the user side names bpf's frames itself).
	 */
	symbolFiles?: string[];
}

/** Passes 1-4 of one script on this host; an unchanged script skips them all (front-cache.ts). */
export async function runPipeline(input: ScriptInput, lastPass: 3 | 4, opts: LatePassOptions = {}): Promise<PipelineResult> {
	const includePaths = [DEFAULT_TAPSET_DIR, ...(input.includePaths ?? [])];
	const cacheRoot = defaultCacheDir();
	// The target as the key sees it: uname and guru mode. The kernel config
	// that pass 1 also reads belongs to the kernel build, which the build-id names.
	const targetKey = { kernelRelease: release(), machine: machine(), guruMode: !!input.guru };
	const key = lastPass === 4
		? frontKey({
			scriptName: input.name, scriptText: input.text, args: input.args, options: { target: targetKey, opts },
			buildId: localBuildTarget().buildId, dirs: [...includePaths, defaultTapsetDirOfPass2()], files: opts.symbolFiles,
		})
		: null;
	const hit = key ? frontLookup(cacheRoot, key) : null;
	if (hit) {
		// (passes 1-3 are skipped too: stap would print their lines, then "using cached" for 3 and 4)
		passNote(`Pass 4: using cached ${hit.moduleDir}`);
		return { ok: true, stderr: hit.stderr, moduleDir: hit.moduleDir, cached: true };
	}
	// Not cached: what passes 2 and 4 need besides the script starts now, beside pass 1 (see startLateInputs).
	await startLateInputs(lastPass);
	const { hostTarget, runPass1 } = await import('../parse/index.js');
	const target = hostTarget({ guruMode: !!input.guru });
	const p1 = runPass1({ target, args: input.args, includePaths, scripts: [{ name: input.name, text: input.text }] });
	if (!p1.files) earlyProfiles.clear(); // no pass 2 will take it
	const r = await runLatePasses(p1, lastPass, opts, true);
	if (key && r.ok && r.moduleDir) frontStore(cacheRoot, key, { moduleDir: r.moduleDir, stderr: r.stderr });
	return r;
}

/**
 * What passes 2 and 4 need that does not depend on the script: this kernel's
 * profile (pass 2), the compilers' versions (pass 4's cache key) and, on the
 * first build for this kernel, vmlinux.h and its PCH (~1.3 s of bpftool and
 * clang). Started before pass 1 (which parses the tapsets, ~0.4 s), their
 * child processes run on the other CPU meanwhile; passes 2 and 4 await the
 * same promises, so the results are what they would have made themselves.
 * (A script that then fails to parse still leaves a PCH for the next run.)
 */
async function startLateInputs(lastPass: 3 | 4): Promise<void> {
	const target = localBuildTarget();
	// pass 2's kernel profile: from the profile cache, or gathered (tapprobe, a child process) on first use
	const profile = loadLocalProfile(target.buildId);
	profile.catch(() => {}); // a failure is reported by pass 2
	earlyProfiles.set(target.buildId, profile);
	if (lastPass !== 4) return;
	const [{ toolVersionAsync }, { startVmlinuxHeader }] = await Promise.all([import('./toolchain.js'), import('./vmlinux-pch.js')]);
	for (const tool of ['clang', 'cc']) toolVersionAsync(tool).catch(() => {}); // a failure is reported by pass 4
	startVmlinuxHeader(target, defaultCacheDir());
}

/** Where pass 2 reads our tapsets (controller/tapsets beside the sources). */
function defaultTapsetDirOfPass2(): string {
	return fileURLToPath(new URL('../../../controller/tapsets', import.meta.url));
}

/** Passes 2-4 after pass 1 (tapfleet compile runs pass 1 itself). */
export async function runLatePasses(p1: Pass1Result, lastPass: 3 | 4, opts: LatePassOptions = {}, lateInputsStarted = false): Promise<PipelineResult> {
	const input = { name: p1.files?.[0]?.file.name ?? '<input>' };
	if (!p1.files) return { ok: false, stderr: p1.session.diags.render() + 'Pass 1: parse failed.  [man error::pass1]\n' };
	const given = opts.profile;
	const target = given ? profileBuildTarget(given) : localBuildTarget();
	if (!lateInputsStarted && !given) await startLateInputs(lastPass);
	// loaded on use: `tapfleet compile -p1` needs none of passes 2-4
	const [{ runPass2 }, { TranslateError, translate }, { buildScriptModule }] = await Promise.all([
		import('../elaborate/index.js'),
		import('../translate/translate.js'),
		import('./script-module.js'),
	]);
	const p2 = runPass2({ profile: given ?? await localProfile(target.buildId), session: p1.session, userFiles: p1.files, guru: p1.session.target.guruMode });
	let stderr = p1.session.diags.render();
	if (!p2.program) return { ok: false, stderr: stderr + 'Pass 2: analysis failed.  [man error::pass2]\n' };
	const text = scriptText(p1);
	const moduleName = opts.moduleName;
	try {
		if (lastPass === 3) {
			return { ok: true, stderr, source: translate(p2.program, { name: moduleName ?? 'stap', scriptName: input.name, symbolFiles: opts.symbolFiles }).source };
		}
		const built = await buildScriptModule({ program: p2.program, scriptText: text, scriptName: input.name, moduleName, target, defines: opts.defines, symbolFiles: opts.symbolFiles });
		return { ok: true, stderr, moduleDir: built.dir, cached: built.cached };
	} catch (e) {
		if (e instanceof TranslateError) return { ok: false, stderr: `${stderr}${e.message}\nPass 3: translation failed.  [man error::pass3]\n` };
		if (e instanceof BuildError) return { ok: false, stderr: `${stderr}${e.message}\nPass 4: compilation failed.  [man error::pass4]\n` };
		throw e;
	}
}
