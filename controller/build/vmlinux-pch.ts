// vmlinux.h of a target kernel (bpftool btf dump of its BTF) and that header
// precompiled by clang, cached per build-id: parsing the 2.8 MB header is
// most of clang's time on a small module (~0.4 s of ~0.5 s); the PCH cuts a
// compile to ~0.15 s. Files are written to a temporary name and renamed, so
// concurrent builds never see half a file; vmlinux.h, once there, is never
// replaced (a second first build links its copy only if none is there yet):
// clang refuses a PCH whose header's mtime changed since it was made, and
// two builds racing on a new build-id had one's header replace the other's.
// Both tools run as child processes without blocking the event loop, so the
// first build on a build-id can start them early (startVmlinuxHeader, before
// pass 1): clang works on the other CPU while the tapsets are parsed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildTarget } from './target.js';
import { BPF_TARGET_FLAGS, BuildError, sha256, toolVersionAsync } from './toolchain.js';

export interface VmlinuxHeader {
	/** Folder holding vmlinux.h (on the include path: the runtime includes it by name). */
	dir: string;
	/** The precompiled header, for -include-pch. */
	pch: string;
}

const BUILD_ID = /^[0-9a-f]{8,128}$/;

function tmpName(path: string): string {
	return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** The BTF as a file bpftool can read, and what to remove afterwards. */
async function btfFile(target: BuildTarget, dir: string): Promise<{ path: string; scratch?: string }> {
	if ('path' in target.btf) return { path: target.btf.path };
	const scratch = tmpName(join(dir, 'vmlinux.btf'));
	await writeFile(scratch, target.btf.bytes());
	return { path: scratch, scratch };
}

/** Runs a child to its end; its stderr is the message of the BuildError a failure throws. */
function runChild(cmd: string, args: string[], what: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
		let stderr = '';
		child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
		child.on('error', (e) => reject(new BuildError(`${what}: ${e.message}`)));
		child.on('close', (code, signal) => {
			if (code === 0) return resolve();
			const missing = code === 127 && /\b(bpftool|clang)\b.*not found/.exec(stderr);
			if (missing) reject(new BuildError(missing[1] === 'bpftool' ? 'bpftool is not installed (the bpf runtime needs it for vmlinux.h)' : 'clang is not installed (pass 4 needs clang and cc)'));
			else reject(new BuildError(`${what} failed:\n${stderr || `status ${code ?? signal}`}`));
		});
	});
}

async function buildVmlinuxHeader(target: BuildTarget, cacheRoot: string): Promise<VmlinuxHeader> {
	if (!BUILD_ID.test(target.buildId)) throw new BuildError(`"${target.buildId}" is not a build-id (lowercase hex expected)`);
	const dir = join(cacheRoot, 'vmlinux', target.buildId);
	mkdirSync(dir, { recursive: true });
	const header = join(dir, 'vmlinux.h');
	const clangVersion = toolVersionAsync('clang');
	clangVersion.catch(() => {}); // awaited below
	// A PCH is only valid for the clang and the flags that made it, and for the header file it was made from.
	const pchOf = (version: string) => {
		const h = statSync(header);
		return join(dir, `vmlinux-${sha256(`${version}\0${BPF_TARGET_FLAGS.join(' ')}\0${h.size}\0${h.mtimeMs}`).slice(0, 16)}.h.pch`);
	};
	const precompile = (out: string) => ['clang', ...BPF_TARGET_FLAGS, '-x', 'c-header', header, '-o', out];
	if (existsSync(header)) {
		const pch = pchOf(await clangVersion);
		if (!existsSync(pch)) {
			const tmp = tmpName(pch);
			try {
				const [cmd, ...args] = precompile(tmp);
				await runChild(cmd!, args, 'clang');
				renameSync(tmp, pch);
			} finally {
				rmSync(tmp, { force: true });
			}
		}
		return { dir, pch };
	}
	// First use of this build-id: bpftool dumps the header into its file and clang
	// precompiles it, as one shell child, so that neither waits for this
	// process's event loop (passes 1-3 keep it busy meanwhile). The PCH is named
	// by clang's version once it is known.
	const btf = await btfFile(target, dir);
	const headerTmp = tmpName(header);
	const pchTmp = tmpName(join(dir, 'vmlinux.h.pch'));
	try {
		await runChild('sh', ['-ec', 'bpftool btf dump file "$1" format c > "$2"; ln "$2" "$3" 2>/dev/null || :; rm -f "$2"; shift 3; exec "$@"', 'sh', btf.path, headerTmp, header, ...precompile(pchTmp)], `bpftool btf dump of ${btf.path} and its precompilation`);
		const pch = pchOf(await clangVersion);
		renameSync(pchTmp, pch);
		return { dir, pch };
	} finally {
		rmSync(headerTmp, { force: true });
		rmSync(pchTmp, { force: true });
		if (btf.scratch) rmSync(btf.scratch, { force: true });
	}
}

// Started early by startVmlinuxHeader, taken by the next build that needs it.
const early = new Map<string, Promise<VmlinuxHeader>>();

/** vmlinux.h and its PCH for `target`, built on the first use of each build-id. */
export async function vmlinuxHeader(target: BuildTarget, cacheRoot: string): Promise<VmlinuxHeader> {
	const key = `${cacheRoot}\0${target.buildId}`;
	const started = early.get(key);
	early.delete(key);
	// (one started for a build that then hit the module cache may be old: its files are checked)
	const made = await started?.catch(() => undefined);
	if (made && existsSync(made.pch) && existsSync(join(made.dir, 'vmlinux.h'))) return made;
	return buildVmlinuxHeader(target, cacheRoot);
}

/**
 * Starts vmlinuxHeader in the background (before pass 1 of a script that is
 * not cached): its result is the same whenever it is made; a failure is
 * reported by the build that awaits it.
 */
export function startVmlinuxHeader(target: BuildTarget, cacheRoot: string): void {
	const p = buildVmlinuxHeader(target, cacheRoot);
	p.catch(() => {});
	early.set(`${cacheRoot}\0${target.buildId}`, p);
}
