// Receiving a module over a Load stream. The header (signed manifest and
// options) is checked completely before a single file byte is accepted:
// signature, manifest, limits, this host's build-id. Files then go to a
// private staging directory and are checked against the signed manifest as
// they arrive (name, size) and when complete (sha256). Any refusal removes
// the staging directory: nothing is half-loaded.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, MANIFEST_FILE, MODULE_LIMITS, isSafeFileName, type ModuleManifest } from '../controller/module/manifest.js';
import { SignatureError, fileMismatch, verifySignedManifest, type TrustedKey } from '../controller/module/verify.js';
import type { LoadRequest, SessionOptions } from '../proto/gen/tapfleet/v1/agent.js';
import { failedPrecondition, invalidArgument, permissionDenied, resourceExhausted } from './status.js';
import { PID_MAX_LIMIT, processExists } from '../controller/util/pid.js';

export interface UploadContext {
	trustedKeys: TrustedKey[];
	hostName: string;
	hostBuildId: string;
	hostRelease: string;
	runtimes: string[];
	stagingRoot: string;
	maxLeaseSeconds: number;
	maxTimeLimitSeconds: number;
	/** The largest SessionOptions.kernel_buffer_mib a load may ask for. */
	maxKernelBufferMib: number;
}

export interface ReceivedModule {
	manifest: ModuleManifest;
	dir: string;
	options: SessionOptions;
	signer: string;
}

export const ARG_LIMITS = { maxArgs: 64, maxArgBytes: 4096 } as const;
/** taprun -s's range: powers of two up to this many MiB. */
export const KERNEL_BUFFER_MIB_MAX = 1024;
/** The longest target command (stap -c), as taprun's TARGET_COMMAND_MAX. */
export const TARGET_COMMAND_MAX_BYTES = 4096;

/** The sizes in signed manifest bytes, checked before the full parse so limits give RESOURCE_EXHAUSTED. */
function checkDeclaredSizes(manifestBytes: Buffer): void {
	let doc: any;
	try {
		doc = JSON.parse(manifestBytes.toString('utf8'));
	} catch {
		return; // parseManifest reports it
	}
	const files: any[] = Array.isArray(doc?.files) ? doc.files : [];
	if (files.length > MODULE_LIMITS.maxFiles) throw resourceExhausted(`module has ${files.length} files; this agent accepts at most ${MODULE_LIMITS.maxFiles}`);
	let total = 0;
	for (const f of files) {
		const size = typeof f?.size === 'number' ? f.size : 0;
		if (size > MODULE_LIMITS.maxFileBytes) throw resourceExhausted(`module file ${JSON.stringify(f?.name)} is ${size} bytes; this agent accepts at most ${MODULE_LIMITS.maxFileBytes} per file`);
		total += size;
	}
	if (total > MODULE_LIMITS.maxTotalBytes) throw resourceExhausted(`module files add up to ${total} bytes; this agent accepts at most ${MODULE_LIMITS.maxTotalBytes}`);
}

export function checkHeader(header: LoadRequest['header'], ctx: UploadContext): { manifest: ModuleManifest; signer: string; options: SessionOptions } {
	if (!header) throw invalidArgument('the first message of Load must be the header (manifest, signature, options)');
	const manifestBytes = Buffer.from(header.manifest);
	if (manifestBytes.length === 0) throw invalidArgument('the header carries no manifest');
	if (manifestBytes.length > MODULE_LIMITS.maxManifestBytes) throw resourceExhausted(`manifest is ${manifestBytes.length} bytes; this agent accepts at most ${MODULE_LIMITS.maxManifestBytes}`);
	let verified: { manifest: ModuleManifest; signer: string };
	try {
		// Signature first: nothing unsigned is even parsed in full.
		verified = verifySignedManifest(manifestBytes, Buffer.from(header.signature), ctx.trustedKeys);
	} catch (e) {
		if (e instanceof SignatureError) throw permissionDenied(`module refused: ${e.message}`);
		if (e instanceof ManifestError) {
			checkDeclaredSizes(manifestBytes);
			throw invalidArgument(`module refused: ${e.message}`);
		}
		throw e;
	}
	const { manifest } = verified;
	if (manifest.target.buildId !== ctx.hostBuildId) {
		throw failedPrecondition(
			`Build-id mismatch: module "${manifest.name}" was built for kernel build-id ${manifest.target.buildId} (${manifest.target.release}), ` +
				`but host "${ctx.hostName}" runs kernel build-id ${ctx.hostBuildId} (${ctx.hostRelease}); compile the script against this host's kernel profile`,
		);
	}
	if (!ctx.runtimes.includes(manifest.runtime)) {
		throw failedPrecondition(`module "${manifest.name}" needs the ${manifest.runtime} runtime, which host "${ctx.hostName}" cannot run (available: ${ctx.runtimes.join(', ') || 'none'})`);
	}
	const options = checkOptions(header.options, ctx);
	return { ...verified, options };
}

function checkOptions(o: SessionOptions | undefined, ctx: UploadContext): SessionOptions {
	const options: SessionOptions = o ?? { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };
	if (options.runId.length > 128 || /[^\x21-\x7e]/.test(options.runId)) throw invalidArgument('bad run id: at most 128 printable ASCII characters');
	if (options.leaseSeconds > ctx.maxLeaseSeconds) throw invalidArgument(`lease of ${options.leaseSeconds} s is longer than this agent allows (${ctx.maxLeaseSeconds} s)`);
	if (options.timeLimitSeconds > ctx.maxTimeLimitSeconds) throw invalidArgument(`time limit of ${options.timeLimitSeconds} s is longer than this agent allows (${ctx.maxTimeLimitSeconds} s)`);
	const mib = options.kernelBufferMib;
	if (mib !== 0 && (mib > KERNEL_BUFFER_MIB_MAX || (mib & (mib - 1)) !== 0)) throw invalidArgument(`a kernel buffer of ${mib} MiB: it must be a power of two from 1 to ${KERNEL_BUFFER_MIB_MAX} MiB`);
	if (mib > ctx.maxKernelBufferMib) throw invalidArgument(`a kernel buffer of ${mib} MiB is more than this agent allows (${ctx.maxKernelBufferMib} MiB)`);
	if (options.args.length > ARG_LIMITS.maxArgs) throw invalidArgument(`${options.args.length} script arguments; at most ${ARG_LIMITS.maxArgs}`);
	if (options.targetPid > PID_MAX_LIMIT) throw invalidArgument(`target process ${options.targetPid}: not a process id (at most ${PID_MAX_LIMIT})`);
	if (options.targetPid > 0 && !processExists(options.targetPid)) throw failedPrecondition(`target process ${options.targetPid}: no such process on host "${ctx.hostName}"`);
	if (options.targetCommand !== '') {
		if (options.targetPid > 0) throw invalidArgument('a target command (-c) and a target process (-x) both name the target: give one of them');
		if (Buffer.byteLength(options.targetCommand) > TARGET_COMMAND_MAX_BYTES) throw invalidArgument(`the target command is longer than ${TARGET_COMMAND_MAX_BYTES} bytes`);
		if (options.targetCommand.includes('\0')) throw invalidArgument('the target command contains a NUL byte');
		if (options.targetCommand.trim() === '') throw invalidArgument('the target command is empty');
	}
	for (const [i, a] of options.args.entries()) {
		if (Buffer.byteLength(a) > ARG_LIMITS.maxArgBytes) throw invalidArgument(`script argument ${i + 1} is longer than ${ARG_LIMITS.maxArgBytes} bytes`);
		if (a.includes('\0')) throw invalidArgument(`script argument ${i + 1} contains a NUL byte`);
	}
	return options;
}

/** Writes arriving file chunks into a staging directory, checking each against the manifest. */
export class StagedModule {
	readonly dir: string;
	private current: { name: string; fd: number; size: number; hash: Hash } | undefined;
	private done = new Set<string>();

	/**
	 * The manifest goes to disk for taprun; the signature does not (it was
	 * checked in memory, and nothing reads it from the session directory).
	 * `stagingRoot` exists (the session manager creates it).
	 */
	constructor(
		private manifest: ModuleManifest,
		manifestBytes: Buffer,
		stagingRoot: string,
	) {
		this.dir = join(stagingRoot, randomBytes(8).toString('hex'));
		mkdirSync(this.dir, { mode: 0o700 });
		writeFileSync(join(this.dir, MANIFEST_FILE), manifestBytes);
	}

	addChunk(name: string, data: Buffer): void {
		if (!isSafeFileName(name)) throw invalidArgument(`bad file name ${JSON.stringify(name)}: flat names of letters, digits, '.', '_' and '-' only`);
		const entry = this.manifest.files.find((f) => f.name === name);
		if (!entry) throw invalidArgument(`file ${JSON.stringify(name)} is not listed in the module's manifest`);
		if (this.current?.name !== name) {
			this.finishCurrent();
			if (this.done.has(name)) throw invalidArgument(`file ${name} was sent twice (a file's chunks must be contiguous)`);
			this.current = { name, fd: openSync(join(this.dir, name), 'wx', 0o600), size: 0, hash: createHash('sha256') };
		}
		const cur = this.current!;
		if (cur.size + data.length > entry.size) {
			throw permissionDenied(`module refused: file ${name} is larger than the signed manifest says (${entry.size} bytes)`);
		}
		writeSync(cur.fd, data);
		cur.size += data.length;
		cur.hash.update(data);
	}

	/** Call when the stream ends: every file present and matching its signed hash. */
	finish(): void {
		this.finishCurrent();
		// An empty file needs no chunk.
		for (const f of this.manifest.files) {
			if (f.size === 0 && !this.done.has(f.name)) {
				writeFileSync(join(this.dir, f.name), '');
				this.done.add(f.name);
			}
		}
		const missing = this.manifest.files.filter((f) => !this.done.has(f.name)).map((f) => f.name);
		if (missing.length) throw invalidArgument(`upload ended without file(s) ${missing.join(', ')} listed in the manifest`);
	}

	discard(): void {
		if (this.current) closeSync(this.current.fd);
		this.current = undefined;
		rmSync(this.dir, { recursive: true, force: true });
	}

	private finishCurrent(): void {
		const cur = this.current;
		if (!cur) return;
		closeSync(cur.fd);
		this.current = undefined;
		this.done.add(cur.name);
		const entry = this.manifest.files.find((f) => f.name === cur.name)!;
		const problem = fileMismatch(entry, cur.size, cur.hash.digest('hex'));
		if (problem) throw permissionDenied(`module refused: ${problem} (tampered or truncated)`);
	}
}
