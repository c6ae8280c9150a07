// Pass 1 as one call: read the library macros (.stpm), then parse the user's
// script(s) into trees, with every problem reported as stap reports it.
import { counted, passClock } from '../util/pass-report.js';
import { readFileSync, statSync } from 'node:fs';
import type { StapFile } from './ast.js';
import { type Diagnostic, Diagnostics, ParseError } from './diagnostics.js';
import { tuneEngineForParsing } from './engine.js';
import { Lexer } from './lexer.js';
import { DEFAULT_TAPSET_DIR, libraryFiles, scriptIsLibraryFile } from './library.js';
import { type MacroDecl, MacroExpander } from './macros.js';
import { type OverloadCounter, Parser, type ParserFlags } from './parser.js';
import { ConditionalPreprocessor } from './preprocess.js';
import { type SourceFile, upToNul } from './source.js';
import type { PreprocessorTarget } from './target.js';
import { commandCache } from '../util/command-cache.js';

export { dumpParseTree } from './dump.js';
export type { PreprocessorTarget } from './target.js';
export { hostTarget } from './target.js';

/** State shared by all files of one compilation (stap's session, as far as pass 1 needs it). */
export interface ParseSession {
	readonly target: PreprocessorTarget;
	readonly args: readonly string[];
	readonly diags: Diagnostics;
	/** Macros from .stpm files, visible to every file. */
	readonly libraryMacros: Map<string, MacroDecl>;
	readonly overloads: OverloadCounter;
	/** The tapset files of -I directories, parsed by pass 1 (pass 2 resolves the script's names in them too). */
	readonly includeTapsets: StapFile[];
}

export function newSession(target: PreprocessorTarget, args: readonly string[] = []): ParseSession {
	tuneEngineForParsing();
	return { target, args, diags: new Diagnostics(args.length), libraryMacros: new Map(), overloads: new Map(), includeTapsets: [] };
}

export interface FileParseOptions extends ParserFlags {
	/** Check language features against target.compatible (false for the builtin tapsets). */
	readonly checkCompatible: boolean;
}

/** Read a script file as stap does: bytes, one char each. Null (with a message) if unreadable. */
export function readSource(session: ParseSession, name: string): SourceFile | null {
	try {
		return { name, contents: readFileSync(name, 'latin1'), synthetic: false };
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		// stap's ifstream opens a directory and reads nothing from it: an empty file.
		if (code === 'EISDIR') return { name, contents: '', synthetic: false };
		session.diags.plainError(code === 'ENOENT'
			? `Input file '${name}' is missing.`
			: `Input file '${name}' can't be opened for reading.`);
		return null;
	}
}

function makeParser(session: ParseSession, whole: SourceFile, opts: FileParseOptions): Parser {
	const file = upToNul(whole);
	const lexer = new Lexer(file, {
		args: session.args, compatible: session.target.compatible, checkCompatible: opts.checkCompatible,
	}, session.diags);
	const macros = new MacroExpander(lexer, session.libraryMacros, session.diags);
	const pp = new ConditionalPreprocessor(macros, session.target);
	return new Parser(lexer, macros, pp, opts, session.diags, session.overloads);
}

/** Parse one file; null when it has errors (reported in session.diags). */
export function parseFile(session: ParseSession, file: SourceFile, opts: FileParseOptions): StapFile | null {
	return makeParser(session, file, opts).parseFile();
}

/**
 * Parse a macro library file (.stpm): only @define may appear. Its macros join
 * the library if none of them is already defined there.
 */
export function parseLibraryMacros(session: ParseSession, file: SourceFile): boolean {
	const p = makeParser(session, file, {
		privileged: false, userFile: false, autoPath: false, errorsAsWarnings: false, checkCompatible: true,
	});
	try {
		const t = p.pp.scan();
		if (t !== null) throw new ParseError(`unexpected token in library macro file '${file.name}'`, t);
		for (const [name, decl] of p.macros.namespace) {
			const first = session.libraryMacros.get(name);
			if (first) {
				const er = new ParseError(`duplicate definition of library macro '@${name}'`, decl.tok);
				er.chain = new ParseError(`macro '@${name}' first defined here`, first.tok);
				session.diags.parseError(er, p.lastT, file.name);
				return false;
			}
		}
	} catch (e) {
		if (!(e instanceof ParseError)) throw e;
		session.diags.parseError(e, p.lastT, file.name);
		return false;
	}
	for (const [name, decl] of p.macros.namespace) {
		decl.context = 'library';
		session.libraryMacros.set(name, decl);
	}
	return true;
}

/** Load every .stpm file on the include path into the session, as stap's pass 1a does. */
export function loadLibraryMacros(session: ParseSession, includePaths: readonly string[]): void {
	for (const lf of libraryFiles(includePaths, session.target, '.stpm')) {
		const src = readSource(session, lf.path);
		if (src && !parseLibraryMacros(session, src)) {
			session.diags.warn(`macro tapset "${lf.path}" has errors, and will be skipped.`, null);
		}
	}
}

/**
 * Parse every tapset (.stp) on the include path, as stap's pass 1a does
 * (errors are only warnings); with `fromInclude`, only those of the include
 * paths from that index on.
 */
export function parseLibrary(session: ParseSession, includePaths: readonly string[], fromInclude = 0): StapFile[] {
	const files: StapFile[] = [];
	for (const lf of libraryFiles(includePaths, session.target, '.stp')) {
		if (lf.includeIndex < fromInclude) continue;
		const src = readSource(session, lf.path);
		if (!src) continue;
		const f = parseFile(session, src, {
			privileged: true, userFile: false, autoPath: lf.autoPath, errorsAsWarnings: true,
			checkCompatible: lf.includeIndex !== 0,
		});
		if (f) files.push(f);
		else session.diags.warn(`tapset "${lf.path}" has errors, and will be skipped`, null);
	}
	return files;
}

export interface ScriptSource {
	/** The script text (as bytes: latin1), or null to read `name` from disk. */
	readonly text: string | null;
	/** "<input>" for -e; the path as given for a file. */
	readonly name: string;
	/** For a script read from standard input: that file's "dev:ino" (stap refuses a library file however it comes). */
	readonly inode?: string;
}

export interface Pass1Options {
	readonly target: PreprocessorTarget;
	readonly args?: readonly string[];
	/** The tapset directory first, then -I directories. */
	readonly includePaths?: readonly string[];
	/** The main script, then any -E scripts. */
	readonly scripts: readonly ScriptSource[];
}

export interface Pass1Result {
	/** The user files' trees, or null if any failed to parse. */
	readonly files: StapFile[] | null;
	readonly session: ParseSession;
}

/**
 * Library macros depend only on the files and the target; a process that
 * parses many scripts (a server, the tests) reads them once.
 */
const macroCache = commandCache<string, { macros: Map<string, MacroDecl>; report: Diagnostic[] }>();

function cachedLibraryMacros(session: ParseSession, includePaths: readonly string[]): void {
	const t = session.target;
	const key = JSON.stringify([includePaths, t.kernelRelease, t.arch, t.runtime, t.compatible, t.privilege, t.guruMode,
		[...t.kernelConfig]]);
	let entry = macroCache.get(key);
	if (!entry) {
		const scratch = newSession(t);
		loadLibraryMacros(scratch, includePaths);
		entry = { macros: scratch.libraryMacros, report: scratch.diags.list };
		macroCache.set(key, entry);
	}
	for (const [name, decl] of entry.macros) session.libraryMacros.set(name, decl);
	session.diags.list.push(...entry.report);
}

/** Pass 1: library macros, then the user's scripts (with -v, its line: stap's, counting the -I tapsets it parsed; tapfleet's own are pass 2's). */
export function runPass1(opts: Pass1Options): Pass1Result {
	const clock = passClock();
	const r = parseScripts(opts);
	clock.done(`Pass 1: parsed user script and ${counted(r.session.includeTapsets.length, 'library script')} `);
	return r;
}

function parseScripts(opts: Pass1Options): Pass1Result {
	const session = newSession(opts.target, opts.args ?? []);
	const includePaths = opts.includePaths ?? [DEFAULT_TAPSET_DIR];
	// stap refuses a main script that is one of the library's own files (and still parses it, for its messages).
	const refusals = mainScriptRefusals(opts.scripts[0], includePaths, opts.target);
	for (const m of refusals) session.diags.plainError(m);
	cachedLibraryMacros(session, includePaths);
	// stap parses every tapset before the user's scripts, even for -p1. The
	// builtin ones are known clean (tapsets.test.ts), but a -I directory's may
	// print errors (which also silence the same errors later: stap reports
	// each throw site once).
	if (includePaths.length > 1) session.includeTapsets.push(...parseLibrary(session, includePaths, 1));
	// An empty file name is no script at all to stap (as `-e ''`): nor are the -E ones read then.
	if (opts.scripts[0]?.text === null && opts.scripts[0].name === '') {
		session.diags.plainError("Input file '<input>' is empty.");
		return { files: null, session };
	}
	const files: StapFile[] = [];
	let ok = refusals.length === 0;
	for (const s of opts.scripts) {
		const src = s.text === null ? readSource(session, s.name) : { name: s.name, contents: s.text, synthetic: false };
		const f = src && parseFile(session, src, {
			privileged: opts.target.guruMode, userFile: true, autoPath: false, errorsAsWarnings: false, checkCompatible: true,
		});
		if (f) files.push(f);
		else ok = false;
	}
	return { files: ok ? files : null, session };
}

function mainScriptRefusals(main: ScriptSource | undefined, includePaths: readonly string[], target: PreprocessorTarget): string[] {
	let inode = main?.inode;
	if (main && main.text === null) {
		try {
			const st = statSync(main.name);
			inode = `${st.dev}:${st.ino}`;
		} catch {
			return []; // a missing file: reading it says so
		}
	}
	return inode === undefined ? [] : scriptIsLibraryFile(includePaths, target, inode);
}
