// The manifest of a compiled probe module: what it is, which kernel build it
// was compiled for, and the hash of every file it carries. The controller
// signs the manifest's exact bytes (ed25519); the agent verifies the
// signature, then every file's hash, then the target build-id, before it
// loads anything. A module is a directory:
//
//   manifest.json   this manifest (the signed bytes)
//   manifest.sig    the detached ed25519 signature of manifest.json
//   <files...>      as listed in `files` (flat names, no directories)

import { type UserFile, userFilesProblem } from './user-files.js';

export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export type RuntimeName = 'bpf' | 'kmod';

/** What a file in the module is for; taprun finds its inputs by role. */
export type ModuleFileRole =
	| 'bpf-object' // kernel side of the bpf runtime (clang -target bpf)
	| 'user-part' // user-space side of the bpf runtime (shared object)
	| 'kernel-module' // the .ko of the kmod runtime
	| 'data'; // anything else the runtime reads (symbol tables, format strings)

export interface ModuleFile {
	name: string;
	role: ModuleFileRole;
	size: number;
	sha256: string;
}

export interface ModuleManifest {
	formatVersion: number;
	/** Module name: also the kernel module name for kmod. */
	name: string;
	runtime: RuntimeName;
	target: { buildId: string; release: string; arch: string };
	script: { text: string; sha256: string };
	files: ModuleFile[];
	probes: { point: string; kind: string }[];
	globals: { name: string; type: string }[];
	/**
	 * The user-space files the uprobes are in, with the build-id (or hash)
	 * of the copy pass 2 resolved them against. Absent in modules without
	 * uprobes (and in those built before it existed: nothing to check).
	 */
	userFiles?: UserFile[];
	/**
	 * The script calls system(): the loader runs shell commands on the host.
	 * An agent loads such a module only for a caller with the "commands" right.
	 */
	runsCommands?: boolean;
	/**
	 * The script changes the kernel in guru mode (writes target variables,
	 * embeds C). An agent loads such a module only for a caller with the
	 * "guru" right.
	 */
	guru?: boolean;
	/** Tool versions that built it (tapfleet, clang, gcc, libbpf, kernel headers...). */
	tools: Record<string, string>;
	createdAt: string;
}

/** Limits an agent enforces on what it is sent. */
export const MODULE_LIMITS = {
	maxFiles: 16,
	maxFileBytes: 64 * 1024 * 1024,
	maxTotalBytes: 128 * 1024 * 1024,
	maxManifestBytes: 4 * 1024 * 1024,
} as const;

const NAME_RE = /^[a-z_][a-z0-9_]{0,54}$/;
const FILE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const BUILD_ID_RE = /^[0-9a-f]{8,128}$/;
const ROLES: readonly ModuleFileRole[] = ['bpf-object', 'user-part', 'kernel-module', 'data'];

/** A module or file name an agent can safely use on its file system. */
export function isSafeFileName(name: string): boolean {
	return FILE_RE.test(name) && name !== MANIFEST_FILE && name !== SIGNATURE_FILE && !name.includes('..');
}

export class ManifestError extends Error {}

/**
 * Parses and validates manifest bytes; throws ManifestError naming the first
 * field that is wrong. Never trusts the input: types, names, sizes, hashes.
 */
export function parseManifest(bytes: Buffer | string): ModuleManifest {
	const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
	if (Buffer.byteLength(text) > MODULE_LIMITS.maxManifestBytes) {
		throw new ManifestError(`manifest is larger than ${MODULE_LIMITS.maxManifestBytes} bytes`);
	}
	let m: any;
	try {
		m = JSON.parse(text);
	} catch (e) {
		throw new ManifestError(`manifest is not valid JSON: ${(e as Error).message}`);
	}
	const fail = (what: string): never => {
		throw new ManifestError(`manifest: ${what}`);
	};
	if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('not an object');
	if (m.formatVersion !== MANIFEST_FORMAT_VERSION) fail(`unsupported formatVersion ${JSON.stringify(m.formatVersion)} (expected ${MANIFEST_FORMAT_VERSION})`);
	if (typeof m.name !== 'string' || !NAME_RE.test(m.name)) fail(`bad module name ${JSON.stringify(m.name)} (lowercase letters, digits and _, at most 55)`);
	if (m.runtime !== 'bpf' && m.runtime !== 'kmod') fail(`unknown runtime ${JSON.stringify(m.runtime)}`);
	const t = m.target;
	if (typeof t !== 'object' || t === null) fail('missing target');
	if (typeof t.buildId !== 'string' || !BUILD_ID_RE.test(t.buildId)) fail(`bad target.buildId ${JSON.stringify(t.buildId)}`);
	if (typeof t.release !== 'string' || t.release.length === 0 || t.release.length > 256) fail('bad target.release');
	if (typeof t.arch !== 'string' || t.arch.length === 0 || t.arch.length > 64) fail('bad target.arch');
	const s = m.script;
	if (typeof s !== 'object' || s === null || typeof s.text !== 'string' || typeof s.sha256 !== 'string' || !HEX64_RE.test(s.sha256)) fail('bad script');
	if (!Array.isArray(m.files) || m.files.length === 0 || m.files.length > MODULE_LIMITS.maxFiles) fail(`files must list 1..${MODULE_LIMITS.maxFiles} files`);
	const seen = new Set<string>();
	let total = 0;
	for (const f of m.files) {
		if (typeof f !== 'object' || f === null) fail('bad file entry');
		if (typeof f.name !== 'string' || !isSafeFileName(f.name)) fail(`bad file name ${JSON.stringify(f.name)}`);
		if (seen.has(f.name)) fail(`file ${f.name} listed twice`);
		seen.add(f.name);
		if (!ROLES.includes(f.role)) fail(`file ${f.name}: unknown role ${JSON.stringify(f.role)}`);
		if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > MODULE_LIMITS.maxFileBytes) fail(`file ${f.name}: size out of range`);
		if (typeof f.sha256 !== 'string' || !HEX64_RE.test(f.sha256)) fail(`file ${f.name}: bad sha256`);
		total += f.size;
	}
	if (total > MODULE_LIMITS.maxTotalBytes) fail(`files add up to more than ${MODULE_LIMITS.maxTotalBytes} bytes`);
	if (!Array.isArray(m.probes) || !Array.isArray(m.globals)) fail('probes and globals must be lists');
	if (m.userFiles !== undefined) {
		const problem = userFilesProblem(m.userFiles);
		if (problem) fail(problem);
	}
	if (m.runsCommands !== undefined && typeof m.runsCommands !== 'boolean') fail('runsCommands must be true or false');
	if (m.guru !== undefined && typeof m.guru !== 'boolean') fail('guru must be true or false');
	if (typeof m.tools !== 'object' || m.tools === null) fail('missing tools');
	if (typeof m.createdAt !== 'string') fail('missing createdAt');
	return m as ModuleManifest;
}
