// Our tapset library: the .stp files in controller/tapsets/ plus the
// syscall tapset and the GFP flag names generated from the profile, parsed with pass 1, and
// indexed by what pass 2 looks up (aliases, functions, globals).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionDecl, ProbeAlias, ProbePoint, StapFile, VarDecl } from '../parse/ast.js';
import { type ParseSession, parseFile, readSource } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { GFP_TAPSET_NAME, gfpTapsetText } from './gfp-tapset.js';
import { syscallTapsetText } from './syscall-tapset.js';
import { keptTapsetParse } from './tapset-cache.js';

/** controller/tapsets in the source tree (the .stp files are not copied into dist/). */
export function defaultTapsetDir(): string {
	const here = path.dirname(fileURLToPath(import.meta.url));
	// dist/controller/elaborate -> controller/tapsets; controller/elaborate -> controller/tapsets
	const candidates = [path.resolve(here, '../../../controller/tapsets'), path.resolve(here, '../tapsets')];
	for (const c of candidates) {
		try {
			readdirSync(c);
			return c;
		} catch {
			/* try the next */
		}
	}
	return candidates[0]!;
}

export interface AliasName {
	readonly alias: ProbeAlias;
	readonly name: ProbePoint;
	/** The tapset file, or null for an alias in the user's script. */
	readonly fromTapset: string | null;
}

export interface LibraryFunction {
	readonly decl: FunctionDecl;
	readonly fromTapset: string | null;
}

export interface LibraryGlobal {
	readonly decl: VarDecl;
	readonly fromTapset: string | null;
}

/** Everything pass 2 can resolve against: the user's files first, then the tapsets. */
export interface SymbolTable {
	readonly aliases: AliasName[];
	/** By unmangled name; user functions first. */
	readonly functions: Map<string, LibraryFunction[]>;
	/** By unmangled name; user globals shadow tapset globals. */
	readonly globals: Map<string, LibraryGlobal>;
	readonly tapsetFiles: StapFile[];
}

export const SYSCALL_TAPSET_NAME = '<syscalls from the kernel profile>';

/** Parse our tapsets for this profile. Errors in them go to the session like stap's (as errors: they are ours). */
export function parseTapsets(session: ParseSession, profile: KernelProfile, dir = defaultTapsetDir()): StapFile[] {
	return keptTapsetParse(session, profile, dir, () => parseTapsetFiles(session, profile, dir));
}

function parseTapsetFiles(session: ParseSession, profile: KernelProfile, dir: string): StapFile[] {
	const files: StapFile[] = [];
	const opts = { privileged: true, userFile: false, autoPath: false, errorsAsWarnings: false, checkCompatible: false };
	let names: string[] = [];
	try {
		names = readdirSync(dir).filter((n) => n.endsWith('.stp')).sort();
	} catch {
		session.diags.plainError(`tapset directory '${dir}' cannot be read`);
	}
	for (const n of names) {
		const src = readSource(session, path.join(dir, n));
		const f = src && parseFile(session, src, opts);
		if (f) files.push(f);
	}
	for (const [name, text] of [[SYSCALL_TAPSET_NAME, syscallTapsetText(profile)], [GFP_TAPSET_NAME, gfpTapsetText(profile)]] as const) {
		const f = parseFile(session, { name, contents: text, synthetic: true }, opts);
		if (f) files.push(f);
	}
	return files;
}

export function buildSymbolTable(userFiles: readonly StapFile[], tapsetFiles: StapFile[]): SymbolTable {
	const table: SymbolTable = { aliases: [], functions: new Map(), globals: new Map(), tapsetFiles };
	const add = (f: StapFile, fromTapset: string | null): void => {
		for (const a of f.aliases) for (const name of a.aliasNames) table.aliases.push({ alias: a, name, fromTapset });
		for (const fn of f.functions) {
			const list = table.functions.get(fn.unmangledName) ?? [];
			list.push({ decl: fn, fromTapset });
			table.functions.set(fn.unmangledName, list);
		}
		for (const g of f.globals) if (!table.globals.has(g.unmangledName)) table.globals.set(g.unmangledName, { decl: g, fromTapset });
	};
	for (const f of userFiles) add(f, null);
	for (const f of tapsetFiles) add(f, f.file.name);
	return table;
}
