// Pass 4: a module source (pass 3's C) → a module directory with its
// manifest, through a content-addressed cache: the key covers everything
// that changes the result (generated C and script text, runtime headers,
// target build-id and release, -D options, compiler versions), so an
// unchanged script costs no compilation the second time.
import { passClock, passNote } from '../util/pass-report.js';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../pki/dirs.js';
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, parseManifest, type ModuleManifest } from '../module/manifest.js';
import type { UserFile } from '../module/user-files.js';
import { compileModuleSource, defineFlags } from './compile-source.js';
import type { BuildTarget } from './target.js';
import { BPF_TARGET_FLAGS, BuildError, makeCacheDir, runtimeFingerprint, sha256, toolVersion, toolVersionAsync } from './toolchain.js';
import { vmlinuxHeader } from './vmlinux-pch.js';

/** What pass 4 builds a module from, on either runtime (the target differs). */
export interface ScriptModuleRequest {
	/** Module name: lowercase letters, digits, _ (manifest rule). */
	name: string;
	/** The C source pass 3 generated. */
	source: string;
	/** The script as the user wrote it (recorded in the manifest). */
	scriptText: string;
	defines?: Record<string, string | number>;
	probes?: { point: string; kind: string }[];
	globals?: { name: string; type: string }[];
	/** The script calls system(): the manifest's runsCommands. */
	runsCommands?: boolean;
	/** The script changes the kernel (guru mode): the manifest's guru. */
	guru?: boolean;
	/** The user-space files the uprobes are in, and which build (manifest userFiles). */
	userFiles?: UserFile[];
	/** Cache root; default $XDG_CACHE_HOME/tapfleet. */
	cacheDir?: string;
}

export interface ModuleBuildRequest extends ScriptModuleRequest {
	target: BuildTarget;
}

export interface ModuleBuildResult {
	dir: string;
	/** True when the module came from the cache (nothing was compiled). */
	cached: boolean;
	key: string;
}

const MODULE_NAME = /^[a-z_][a-z0-9_]{0,54}$/;

/** The cache key of a request: sha256 over what the module depends on. */
export function moduleCacheKey(req: ModuleBuildRequest): string {
	return sha256(
		JSON.stringify({
			format: MANIFEST_FORMAT_VERSION,
			name: req.name,
			source: sha256(req.source),
			script: sha256(req.scriptText),
			runtime: runtimeFingerprint(),
			buildId: req.target.buildId,
			// bpf attaches uprobes by name, so the C may not change when a probed file does
			userFiles: req.userFiles ?? [],
			release: req.target.release,
			arch: req.target.arch,
			defines: defineFlags(req.defines),
			flags: BPF_TARGET_FLAGS,
			clang: toolVersion('clang'),
			cc: toolVersion('cc'),
		}),
	);
}

export async function buildModule(req: ModuleBuildRequest): Promise<ModuleBuildResult> {
	if (!MODULE_NAME.test(req.name)) throw new BuildError(`module name "${req.name}" is not valid: lowercase letters, digits and _, at most 55, not starting with a digit`);
	const cacheRoot = req.cacheDir ?? defaultCacheDir();
	// both at once (or already known: script-pipeline.ts starts them before pass 1)
	await Promise.all([toolVersionAsync('clang'), toolVersionAsync('cc')]);
	const key = moduleCacheKey(req);
	const modulesDir = join(cacheRoot, 'modules');
	const dir = join(modulesDir, `${req.name}-${key.slice(0, 24)}`);
	if (existsSync(join(dir, MANIFEST_FILE))) {
		passNote(`Pass 4: using cached ${dir}`);
		return { dir, cached: true, key };
	}
	const clock = passClock();

	const vmlinux = await vmlinuxHeader(req.target, cacheRoot);
	const tmp = join(modulesDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
	makeCacheDir(tmp);
	try {
		const sourceFile = join(tmp, `${req.name}.c`);
		writeFileSync(sourceFile, req.source);
		const files = await compileModuleSource(sourceFile, tmp, req.name, vmlinux, { defines: req.defines });
		rmSync(sourceFile);
		const manifest: ModuleManifest = {
			formatVersion: MANIFEST_FORMAT_VERSION,
			name: req.name,
			runtime: 'bpf',
			target: { buildId: req.target.buildId, release: req.target.release, arch: req.target.arch },
			script: { text: req.scriptText, sha256: sha256(req.scriptText) },
			files,
			probes: req.probes ?? [],
			globals: req.globals ?? [],
			...(req.userFiles?.length ? { userFiles: req.userFiles } : {}),
			...(req.runsCommands ? { runsCommands: true } : {}),
			tools: { clang: toolVersion('clang'), cc: toolVersion('cc'), runtime: runtimeFingerprint() },
			createdAt: new Date().toISOString(),
		};
		const text = JSON.stringify(manifest, null, '\t') + '\n';
		parseManifest(text); // what we write must be what an agent accepts
		writeFileSync(join(tmp, MANIFEST_FILE), text);
		try {
			renameSync(tmp, dir);
		} catch (e) {
			// Another build of the same key won the race: its result is the same.
			if (!existsSync(join(dir, MANIFEST_FILE))) throw e;
			rmSync(tmp, { recursive: true, force: true });
		}
	} catch (e) {
		rmSync(tmp, { recursive: true, force: true });
		throw e;
	}
	clock.done(`Pass 4: compiled C into "${dir}" `, false);
	return { dir, cached: false, key };
}

/** Reads a built module's manifest back (for -p4 callers that want its contents). */
export function readBuiltManifest(dir: string): ModuleManifest {
	return parseManifest(readFileSync(join(dir, MANIFEST_FILE)));
}
