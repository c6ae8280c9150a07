// The script cache in front of passes 1-3: a script compiled before, with
// the same arguments and options, for the same kernel build, by the same
// compiler, maps straight to its module directory, so an unchanged script
// costs no parsing, elaboration or translation either (only a few stat()s
// and one hash). The key covers every input of those passes: the script
// bytes and name, the arguments, the options, the target, the tapset
// directories (names, sizes, mtimes), the -d files (their identity, size
// and times) and the compiler's own code. Not the
// user-space files uprobes are in: a hit whose module lists one that has
// changed since is a miss (user-files.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE } from '../module/manifest.js';
import { userFilesChanged } from '../module/user-files.js';
import { bpfRuntimeIncludes } from './toolchain.js';
import { treeStamp, treeStampsWatched } from './tree-stamp.js';
import { fileStamp } from '../util/file-kept.js';

/** The folders of dist/controller that hold passes 1-4 (scripts/bundle-cli.mjs hashes the same). */
const COMPILER_PARTS = ['parse', 'elaborate', 'translate', 'build'];

declare global {
	// Set by scripts/bundle-cli.mjs: a hash of the compiler's code the bundle holds.
	var __TAPFLEET_BUNDLED_COMPILER__: string | undefined;
}

let compilerStamp: string | undefined;

/**
 * The compiler's own code: passes 1-3 as built (dist/controller/{parse,
 * elaborate,translate,build}), or, when running from the bundle, the hash of
 * that code the bundle was made from (bin/tapfleet runs the bundle only while
 * it is newer than tsc's output): ~200 stat()s fewer per run. The translator's
 * C helpers are read from the sources at compile time, so they are always
 * stamped here. Kept for the process's life, but in a process that watches
 * trees (a warm runner, which lives across edits of those sources): there each
 * tree's own summary is kept while nothing in it changes.
 */
function compilerCodeStamp(): string {
	if (compilerStamp) return compilerStamp;
	const keepForever = !treeStampsWatched();
	const h = createHash('sha256');
	const bundled = globalThis.__TAPFLEET_BUNDLED_COMPILER__;
	if (bundled) h.update(`bundle:${bundled}\0`);
	else {
		const controller = fileURLToPath(new URL('../', import.meta.url));
		for (const part of COMPILER_PARTS) h.update(treeStamp(join(controller, part)));
	}
	// the translator's C helpers live beside its sources
	h.update(treeStamp(fileURLToPath(new URL('../../../controller/translate/c', import.meta.url))));
	// the runtime headers too (names, sizes, mtimes; pass 4's own key hashes their contents)
	for (const dir of bpfRuntimeIncludes) h.update(treeStamp(dir));
	const stamp = h.digest('hex');
	if (keepForever) compilerStamp = stamp;
	return stamp;
}

export interface FrontKeyInput {
	scriptName: string;
	/** The script bytes, or null to read scriptName. */
	scriptText: string | null;
	args: readonly string[];
	/** Everything else that changes the result: target, options, -D, -m. */
	options: unknown;
	buildId: string;
	/** Tapset and include directories passes 1-2 read. */
	dirs: readonly string[];
	/** Files whose contents pass 3 puts in the module (-d FILE's symbols): a changed one is a miss. */
	files?: readonly string[];
}

export function frontKey(k: FrontKeyInput): string | null {
	let text = k.scriptText;
	if (text === null) {
		try {
			text = readFileSync(k.scriptName, 'latin1');
		} catch {
			return null; // pass 1 reports it
		}
	}
	const h = createHash('sha256');
	// the compiler and the runtime headers too: a module built against older ones must not be reused
	h.update(JSON.stringify({ name: k.scriptName, args: k.args, options: k.options, buildId: k.buildId, compiler: compilerCodeStamp() }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
	h.update('\0').update(text, 'latin1');
	for (const d of k.dirs) h.update(treeStamp(d));
	for (const f of k.files ?? []) h.update(`${f}:${fileStamp(f) ?? 'absent'}\0`);
	return h.digest('hex');
}

interface FrontEntry {
	moduleDir: string;
	/** Warnings passes 1-2 printed: shown again on every run, as stap does. */
	stderr: string;
}

export function frontLookup(cacheRoot: string, key: string): FrontEntry | null {
	try {
		const e = JSON.parse(readFileSync(join(cacheRoot, 'scripts', key), 'utf8')) as FrontEntry;
		// the key does not cover the files uprobes are in: a module for an older build of one is stale
		const { userFiles } = JSON.parse(readFileSync(join(e.moduleDir, MANIFEST_FILE), 'utf8'));
		return Array.isArray(userFiles) && userFilesChanged(userFiles) ? null : e;
	} catch {
		return null;
	}
}

export function frontStore(cacheRoot: string, key: string, entry: FrontEntry): void {
	const dir = join(cacheRoot, 'scripts');
	mkdirSync(dir, { recursive: true });
	const tmp = join(dir, `.tmp-${process.pid}-${key}`);
	writeFileSync(tmp, JSON.stringify(entry));
	renameSync(tmp, join(dir, key));
}
