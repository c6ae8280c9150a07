// Pass 4 for the kmod runtime: pass 3's kmod C → a module directory
// (manifest.json with runtime "kmod" and the .ko, role kernel-module),
// kbuilt against the target's kernel tree with the tree's build-id compiled
// in. Cached like bpf modules: the key covers the generated C, the script,
// the kmod runtime sources, the tree's build-id and release, -D options and
// the compiler, so an unchanged script is not rebuilt.
import { passClock, passNote } from '../util/pass-report.js';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, parseManifest, type ModuleManifest } from '../module/manifest.js';
import { defaultCacheDir } from '../pki/dirs.js';
import { kbuildModule, kmodRuntimeIncludes } from './kmod-kbuild.js';
import type { ModuleBuildResult, ScriptModuleRequest } from './build-module.js';
import { BuildError, makeCacheDir, sha256, toolVersion } from './toolchain.js';
import { keptWhileUnchanged } from './tree-stamp.js';

export interface KmodTarget {
	/** Kernel tree (kbuild's Makefile is there). */
	tree: string;
	release: string;
	arch: string;
	/** GNU build-id of the tree's kernel image. */
	buildId: string;
}

/** The kernel module and the manifest are named tapfleet_NAME. */
export interface KmodBuildRequest extends ScriptModuleRequest {
	target: KmodTarget;
}

/** sha256 over the sources kbuild compiles into every kmod module. */
const kmodRuntimeFingerprint: () => string = keptWhileUnchanged(kmodRuntimeIncludes, () => {
	const h = createHash('sha256');
	for (const dir of kmodRuntimeIncludes) {
		for (const f of readdirSync(dir).filter((n) => /\.(h|c)$/.test(n)).sort()) h.update(`${f}\0`).update(readFileSync(join(dir, f))).update('\0');
	}
	return h.digest('hex');
});

/** The kernel module's name for a manifest name: taprun's stale-module cleanup looks for tapfleet_*. */
export function kernelModuleName(name: string): string {
	return name.startsWith('tapfleet_') ? name : `tapfleet_${name}`.slice(0, 55);
}

export function kmodCacheKey(req: KmodBuildRequest): string {
	return sha256(
		JSON.stringify({
			format: MANIFEST_FORMAT_VERSION,
			runtime: 'kmod',
			name: req.name,
			source: sha256(req.source),
			script: sha256(req.scriptText),
			kmod: kmodRuntimeFingerprint(),
			target: req.target,
			defines: Object.entries(req.defines ?? {}).sort(),
			userFiles: req.userFiles ?? [],
			gcc: toolVersion('gcc'),
		}),
	);
}

export async function buildKmodModule(req: KmodBuildRequest): Promise<ModuleBuildResult> {
	const cacheRoot = req.cacheDir ?? defaultCacheDir();
	const key = kmodCacheKey(req);
	const modulesDir = join(cacheRoot, 'modules');
	const dir = join(modulesDir, `${req.name}-kmod-${key.slice(0, 24)}`);
	if (existsSync(join(dir, MANIFEST_FILE))) {
		passNote(`Pass 4: using cached ${dir}`);
		return { dir, cached: true, key };
	}
	const clock = passClock();
	const tmp = join(modulesDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
	const work = `${tmp}.kbuild`;
	makeCacheDir(tmp);
	try {
		const sourceFile = join(work, `${req.name}.c`);
		mkdirSync(work, { recursive: true });
		writeFileSync(sourceFile, req.source);
		const scriptHash = sha256(req.scriptText);
		const file = await kbuildModule({
			source: sourceFile, name: kernelModuleName(req.name), tree: req.target.tree, buildId: req.target.buildId,
			scriptHash, defines: req.defines, workDir: work,
		});
		copyFileSync(join(work, file.name), join(tmp, file.name));
		const manifest: ModuleManifest = {
			formatVersion: MANIFEST_FORMAT_VERSION,
			// taprun finds /proc/NAME and the .ko by the manifest's name
			name: kernelModuleName(req.name),
			runtime: 'kmod',
			target: { buildId: req.target.buildId, release: req.target.release, arch: req.target.arch },
			script: { text: req.scriptText, sha256: scriptHash },
			files: [file],
			probes: req.probes ?? [],
			globals: req.globals ?? [],
			...(req.userFiles?.length ? { userFiles: req.userFiles } : {}),
			...(req.runsCommands ? { runsCommands: true } : {}),
			...(req.guru ? { guru: true } : {}),
			tools: { gcc: toolVersion('gcc'), runtime: kmodRuntimeFingerprint() },
			createdAt: new Date().toISOString(),
		};
		const text = JSON.stringify(manifest, null, '\t') + '\n';
		parseManifest(text);
		writeFileSync(join(tmp, MANIFEST_FILE), text);
		try {
			renameSync(tmp, dir);
		} catch (e) {
			if (!existsSync(join(dir, MANIFEST_FILE))) throw e;
			rmSync(tmp, { recursive: true, force: true });
		}
		rmSync(work, { recursive: true, force: true });
	} catch (e) {
		// the kbuild directory stays: compiler messages name the generated file in it
		rmSync(tmp, { recursive: true, force: true });
		if (e instanceof BuildError) throw e;
		throw new BuildError((e as Error).message);
	}
	clock.done(`Pass 4: compiled C into "${dir}" `, false);
	return { dir, cached: false, key };
}
