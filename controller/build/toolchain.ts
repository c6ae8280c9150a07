// The compilers pass 4 drives and the runtime headers generated code is
// compiled against: where they are, which versions they are, and a
// fingerprint of the runtime (part of every module's cache key).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NUMERIC_LIMITS } from './defines.js';
import { keptWhileUnchanged } from './tree-stamp.js';
import { commandCache } from '../util/command-cache.js';
import { fileStamp } from '../util/file-kept.js';
import { makeDirs } from '../util/make-dirs.js';
import { reasonOf } from '../profile/reasons.js';

/** The repository root (this file runs from dist/controller/build/). */
export const repoRoot = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const runtimeDir = join(repoRoot, 'runtime-c');
export const taprunPath = join(runtimeDir, 'build', 'taprun');

/** The header folders a bpf-runtime module is compiled against. */
export const bpfRuntimeIncludes = [join(runtimeDir, 'common'), join(runtimeDir, 'bpf')];

/** Flags that must match between the vmlinux.h PCH and every use of it. */
export const BPF_TARGET_FLAGS = ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86'];

export class BuildError extends Error {}

/**
 * A compiler's failure as the user should read it. The runtime's headers
 * refuse limits out of their range with `#error` (runtime-c/common/tap_limits.h:
 * MAXSTRINGLEN between 16 and 4096, ...): those refusals are what went
 * wrong, so they are the message, without the include chain around them.
 * Anything else keeps the compiler's whole output.
 */
export function compilerError(what: string, output: string): BuildError {
	const refusals = [...new Set([...output.matchAll(/#error "([^"\n]+)"/g)].map((m) => m[1]!))];
	// (the runtime's other #errors are its own mistakes, not the user's: the whole output then)
	const aboutLimits = refusals.length > 0 && refusals.every((r) => r.split(/\W+/).some((w) => NUMERIC_LIMITS.has(w)));
	if (aboutLimits) return new BuildError(`the runtime refuses the limits given with -D: ${refusals.join('; ')}`);
	return new BuildError(`${what} failed:\n${output}`);
}

/**
 * A directory of the build caches, made with its parents if missing. One
 * that cannot be made (XDG_CACHE_HOME names a file, a full disk) is the
 * user's to fix: a BuildError that says which and where the caches live.
 */
export function makeCacheDir(path: string): void {
	try {
		makeDirs(path);
	} catch (e) {
		throw new BuildError(`cannot create the cache directory ${path}: ${reasonOf(e)} (tapfleet's caches are under $XDG_CACHE_HOME/tapfleet, by default ~/.cache/tapfleet)`);
	}
}

/** Runs a compiler; a failure throws BuildError with the compiler's own messages. */
export function runTool(cmd: string, args: string[]): void {
	try {
		execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
	} catch (e) {
		const err = e as { stderr?: string; code?: string };
		if (err.code === 'ENOENT') throw new BuildError(`${cmd} is not installed (pass 4 needs clang and cc)`);
		throw compilerError(cmd, err.stderr ?? String(e));
	}
}

/** Compilers' versions, kept while PATH finds the same program file (a warm runner asks once, not per run: `clang --version` is ~30 ms). */
const versions = new Map<string, string>(); // by program (path and stamp)
const versionLookups = commandCache<string, Promise<string>>();

/** What identifies the program `execFile(cmd)` runs: PATH's first executable `cmd`, its path and file stamp. */
function programStamp(cmd: string): string | undefined {
	for (const dir of (process.env.PATH ?? '').split(':')) {
		if (!dir) continue;
		const p = `${dir}/${cmd}`;
		const stamp = fileStamp(p);
		if (stamp === undefined) continue;
		try {
			accessSync(p, constants.X_OK);
		} catch {
			continue; // as execvp: a file that cannot be executed does not stop the search
		}
		return `${p}:${stamp}`;
	}
	return undefined;
}

function knownVersion(stamp: string | undefined): string | undefined {
	return stamp === undefined ? undefined : versions.get(stamp);
}

function keepVersion(stamp: string | undefined, version: string): void {
	if (stamp !== undefined) versions.set(stamp, version);
}

/**
 * toolVersion without blocking: started before pass 1 of an uncached
 * script (script-pipeline.ts), so that pass 4's cache key does not wait for `clang --version` and
 * `cc --version` one after the other. Fills the memo toolVersion reads.
 */
export function toolVersionAsync(cmd: string): Promise<string> {
	const stamp = programStamp(cmd);
	const known = knownVersion(stamp);
	if (known !== undefined) return Promise.resolve(known);
	let p = versionLookups.get(cmd);
	if (!p) {
		p = new Promise<string>((resolve, reject) =>
			execFile(cmd, ['--version'], { encoding: 'utf8' }, (err, stdout) => {
				versionLookups.delete(cmd);
				if (err) return reject(new BuildError(`${cmd} is not installed (pass 4 needs clang and cc)`));
				const v = stdout.split('\n')[0] ?? '';
				keepVersion(stamp, v);
				resolve(v);
			}),
		);
		versionLookups.set(cmd, p);
	}
	return p;
}

/** First line of `cmd --version`, kept while the program file stays the same (a module's manifest records it). */
export function toolVersion(cmd: string): string {
	const stamp = programStamp(cmd);
	let v = knownVersion(stamp);
	if (v === undefined) {
		try {
			v = execFileSync(cmd, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
		} catch {
			throw new BuildError(`${cmd} is not installed (pass 4 needs clang and cc)`);
		}
		keepVersion(stamp, v);
	}
	return v;
}

/**
 * sha256 over every runtime header and source a module is compiled or
 * linked against: a change in the runtime invalidates cached modules.
 */
export const runtimeFingerprint: () => string = keptWhileUnchanged(bpfRuntimeIncludes, () => {
	const h = createHash('sha256');
	for (const dir of bpfRuntimeIncludes) {
		for (const f of readdirSync(dir).filter((n) => /\.(h|c)$/.test(n)).sort()) {
			h.update(`${dir.slice(runtimeDir.length)}/${f}\0`).update(readFileSync(join(dir, f))).update('\0');
		}
	}
	return h.digest('hex');
});

export function sha256(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}
