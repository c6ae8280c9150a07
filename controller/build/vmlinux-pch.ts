// vmlinux.h of a target kernel (bpftool btf dump of its BTF) and that header
// precompiled by clang, cached per build-id: parsing the 2.8 MB header is
// most of clang's time on a small module (~0.3 s of ~0.35 s); the PCH cuts a
// compile to ~0.1 s. Files are written to a temporary name and renamed, so
// concurrent builds never see half a file; vmlinux.h, once there, is never
// replaced (a second first build links its copy only if none is there yet):
// clang refuses a PCH whose header's mtime changed since it was made, and
// two builds racing on a new build-id had one's header replace the other's.
// bpftool runs as a child process without blocking the event loop, so the
// first build on a build-id can start it early (startVmlinuxHeader, before
// pass 1). The PCH is made in the background (~0.6 s of clang), right after
// bpftool in the same child: a module built before it is there compiles the
// header as it is (the same object), unless this process's PCH has been
// under way long enough that waiting for it is quicker; later modules use it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildTarget } from './target.js';
import { processExists } from '../util/pid.js';
import { BPF_TARGET_FLAGS, BuildError, makeCacheDir, sha256, toolVersionAsync } from './toolchain.js';

export interface VmlinuxHeader {
	/** Folder holding vmlinux.h (on the include path: the runtime includes it by name). */
	dir: string;
	/** The precompiled header, for -include-pch; none while it is being made (vmlinux.h is included as it is). */
	pch?: string;
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

/** What a shell child's failure means: a missing tool by name, else its stderr. */
function childError(what: string, code: number | null, signal: string | null, stderr: string): BuildError {
	const missing = code === 127 && /\b(bpftool|clang)\b.*not found/.exec(stderr);
	if (missing) return new BuildError(missing[1] === 'bpftool' ? 'bpftool is not installed (the bpf runtime needs it for vmlinux.h)' : 'clang is not installed (pass 4 needs clang and cc)');
	return new BuildError(`${what} failed:\n${stderr || `status ${code ?? signal}`}`);
}

/**
 * Runs a shell child that says `ready` on its stdout once the part a build
 * waits for is done, and may go on (the PCH's clang). `ready` resolves then;
 * `done` when it ends (with status 0), rejecting with its stderr otherwise.
 */
function runShell(args: string[], what: string): { ready: Promise<void>; done: Promise<void> } {
	const child = spawn('sh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	let said = '';
	let markReady!: () => void;
	const ready = new Promise<void>((resolve) => (markReady = resolve));
	child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
	child.stdout!.setEncoding('utf8').on('data', (d: string) => {
		said += d;
		if (said.includes('ready\n')) markReady();
	});
	const done = new Promise<void>((resolve, reject) => {
		child.on('error', (e) => reject(new BuildError(`${what}: ${e.message}`)));
		child.on('close', (code, signal) => (code === 0 ? resolve() : reject(childError(what, code, signal, stderr))));
	});
	return { ready: Promise.race([ready, done]), done };
}

/** Where a PCH of `header` made by this clang with BPF_TARGET_FLAGS is (valid only for them, and for that header file). */
function pchPath(dir: string, header: string, clangVersion: string): string {
	const h = statSync(header);
	return join(dir, `vmlinux-${sha256(`${clangVersion}\0${BPF_TARGET_FLAGS.join(' ')}\0${h.size}\0${h.mtimeMs}`).slice(0, 16)}.h.pch`);
}

/**
 * One PCH is made at a time per build-id, by whichever process holds this
 * file (its pid inside). A holder that is gone, or a file older than
 * MAKING_STALE_MS, is taken over.
 */
const MAKING = 'vmlinux.h.pch.making';
const MAKING_STALE_MS = 300_000;

function takeMaking(dir: string): boolean {
	const marker = join(dir, MAKING);
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			writeFileSync(marker, `${process.pid}\n`, { flag: 'wx' });
			return true;
		} catch {
			let holder = 0;
			let age = 0;
			try {
				holder = Number.parseInt(readFileSync(marker, 'utf8'), 10);
				age = Date.now() - statSync(marker).mtimeMs;
			} catch {
				continue; // gone meanwhile: try again
			}
			if (age < MAKING_STALE_MS && holder > 0 && processExists(holder)) return false;
			rmSync(marker, { force: true });
		}
	}
	return false;
}

/**
 * PCHs this process is making, by build-id directory: when the clang
 * started, and its end (the PCH renamed into place, the marker removed).
 * The child keeps a one-shot command's process until it is done, so the
 * PCH a first run starts is there for the next.
 */
const makingHere = new Map<string, { startedAt: number; done: Promise<void> }>();

/** After the PCH's clang (the child's `done`): the PCH in place under its name, the marker gone. */
function finishPch(dir: string, header: string, pchTmp: string, childDone: Promise<void>, clangVersion: Promise<string>): { startedAt: number } {
	const done = (async () => {
		try {
			await childDone;
			renameSync(pchTmp, pchPath(dir, header, await clangVersion));
		} catch {
			// a build without the PCH compiles the header itself, and says what is wrong with it
		} finally {
			rmSync(pchTmp, { force: true });
			rmSync(join(dir, MAKING), { force: true });
			makingHere.delete(dir);
		}
	})();
	const making = { startedAt: Date.now(), done };
	makingHere.set(dir, making);
	return making;
}

/**
 * A PCH takes ~0.6 s; a module compiled without one ~0.3 s more than with
 * it (the same object either way). A build that finds the PCH this process
 * is making under way for at least this long waits for it (a cold first
 * run, whose passes 1-3 took about as long); one that comes sooner, or
 * finds another process making it, compiles without it.
 */
const PCH_WAIT_AFTER_MS = 350;

async function buildVmlinuxHeader(target: BuildTarget, cacheRoot: string): Promise<VmlinuxHeader> {
	if (!BUILD_ID.test(target.buildId)) throw new BuildError(`"${target.buildId}" is not a build-id (lowercase hex expected)`);
	const dir = join(cacheRoot, 'vmlinux', target.buildId);
	makeCacheDir(dir);
	const header = join(dir, 'vmlinux.h');
	const clangVersion = toolVersionAsync('clang');
	clangVersion.catch(() => {}); // awaited below
	const precompile = (out: string) => ['clang', ...BPF_TARGET_FLAGS, '-x', 'c-header', header, '-o', out];
	if (!existsSync(header)) {
		// First use of this build-id: bpftool dumps the header into a file of its own,
		// linked into place only if none is there yet, then (if no other process is at
		// it) clang makes the PCH, in the same shell child: neither waits for this
		// process's event loop, which passes 1-3 keep busy meanwhile.
		const btf = await btfFile(target, dir);
		const headerTmp = tmpName(header);
		const pchTmp = tmpName(join(dir, 'vmlinux.h.pch'));
		const then = takeMaking(dir) ? precompile(pchTmp) : ['true'];
		const child = runShell(['-ec', 'bpftool btf dump file "$1" format c > "$2"; ln "$2" "$3" 2>/dev/null || :; rm -f "$2"; echo ready; shift 3; exec "$@"', 'sh', btf.path, headerTmp, header, ...then], `bpftool btf dump of ${btf.path}`);
		const making = then[0] === 'clang' ? finishPch(dir, header, pchTmp, child.done, clangVersion) : undefined;
		child.done.catch(() => {}); // the header's failure is the ready's; the PCH's, finishPch's
		try {
			await child.ready;
			// clang started when bpftool's header was done: its mtime, not when this busy event loop heard of it
			if (making && existsSync(header)) making.startedAt = statSync(header).mtimeMs;
		} finally {
			rmSync(headerTmp, { force: true });
			if (btf.scratch) rmSync(btf.scratch, { force: true });
		}
		if (!existsSync(header)) await child.done; // (its failure, said)
	}
	const pch = pchPath(dir, header, await clangVersion);
	if (existsSync(pch)) return { dir, pch };
	const under = makingHere.get(dir);
	if (under) {
		if (Date.now() - under.startedAt < PCH_WAIT_AFTER_MS) return { dir };
		await under.done;
		return existsSync(pch) ? { dir, pch } : { dir };
	}
	if (takeMaking(dir)) {
		const pchTmp = tmpName(pch);
		const child = runShell(['-ec', 'exec "$@"', 'sh', ...precompile(pchTmp)], 'clang');
		child.done.catch(() => {});
		finishPch(dir, header, pchTmp, child.done, clangVersion);
	}
	return { dir };
}

// Started early by startVmlinuxHeader, taken by the next build that needs it.
const early = new Map<string, Promise<VmlinuxHeader>>();

/** vmlinux.h and its PCH for `target`, built on the first use of each build-id. */
export async function vmlinuxHeader(target: BuildTarget, cacheRoot: string): Promise<VmlinuxHeader> {
	const key = `${cacheRoot}\0${target.buildId}`;
	const started = early.get(key);
	early.delete(key);
	// (one started for a build that then hit the module cache may be old: its files are checked)
	// (one started for a build that then hit the module cache may be old: its files are checked again,
	// and a PCH finished since is taken)
	await started?.catch(() => undefined);
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
