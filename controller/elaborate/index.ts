// Pass 2 as one call: parse our tapsets for the target profile, expand the
// user's probes, resolve and translate what they reach, infer types, and
// report problems as stap does. The result is the Program of program.ts.
import { counted, passClock } from '../util/pass-report.js';
import { foreachMutationErrors } from './foreach-mutation.js';
import { procfsConflicts } from './procfs.js';
import type { Probe, StapFile } from '../parse/ast.js';
import { type ParseSession, parseFile } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { autoprintText } from './autoprint.js';
import { reportSemantic, SemanticError } from './diagnostics.js';
import { type Expansion, ProbeExpander, spliceBodies } from './expand.js';
import { TypeInference } from './infer.js';
import { buildSymbolTable, parseTapsets, type SymbolTable } from './library.js';
import type * as P from './program.js';
import { btfOf, TracepointTargets } from './tracepoint-args.js';
import { EntrySide, isReturnEvent, pruneEntrySaves } from './entry-side.js';
import { newScope, type Scope, Translator } from './translate.js';
import { analyseUsage, elideAgain } from './warnings.js';

export type { Program } from './program.js';

export interface Pass2Options {
	readonly profile: KernelProfile;
	readonly session: ParseSession;
	readonly userFiles: readonly StapFile[];
	readonly guru?: boolean;
	/** Tapset directory (default: controller/tapsets). */
	readonly tapsetDir?: string;
	/** Already parsed tapsets for this profile (benchmarks, list). */
	readonly tapsets?: StapFile[];
	/** Keep every alias local (for `list -L`): no elision of unused assignments. */
	readonly keepUnused?: boolean;
	/** Tapset files whose own probes run too (stap's rule: a file the script uses brings its probes). */
	readonly pulledTapsets?: readonly StapFile[];
}

export interface Pass2Result {
	/** Null when elaboration failed (errors in session.diags). */
	readonly program: P.Program | null;
	readonly table: SymbolTable;
}

export const AUTOPRINT_FILE_NAME = '<global var display>';

/**
 * Pass 2, with stap's end-of-run display of written-but-unread globals: if
 * the script has any, it is elaborated again with their `probe end`s added
 * (not when listing, as stap in its dump modes).
 */
export function runPass2(opts: Pass2Options): Pass2Result {
	const clock = passClock();
	const r = elaborateWithAutoprint(opts);
	const p = r.program;
	if (p) {
		const counts = [counted(p.probes.length, 'probe'), counted(p.functions.length, 'function'), counted(p.embeds.length, 'embed'), counted(p.globals.length, 'global')];
		clock.done(`Pass 2: analyzed script: ${counts.join(', ')} `);
	}
	return r;
}

function elaborateWithAutoprint(opts: Pass2Options): Pass2Result {
	const first = elaborateOnce(opts);
	const text = first.program && !opts.keepUnused ? autoprintText(first.program) : null;
	if (!text) return first;
	const opt = { privileged: false, userFile: false, autoPath: false, errorsAsWarnings: false, checkCompatible: false };
	const file = parseFile(opts.session, { name: AUTOPRINT_FILE_NAME, contents: text, synthetic: true }, opt);
	if (!file) return first;
	return elaborateOnce({ ...opts, userFiles: [...opts.userFiles, file], tapsets: first.table.tapsetFiles });
}

/**
 * Tapset files with probes of their own (argv.stp fills argv[] in one)
 * whose globals the program uses: as in stap, using a file's symbols brings
 * its probes in.
 */
function tapsetFilesUsed(globals: Iterable<P.GlobalVar>, table: SymbolTable): StapFile[] {
	const used = new Set<string>();
	for (const g of globals) if ((g.read || g.written) && g.fromTapset !== null) used.add(g.fromTapset);
	return table.tapsetFiles.filter((f) => f.probes.length > 0 && used.has(f.file.name));
}

function elaborateOnce(opts: Pass2Options): Pass2Result {
	const diags = opts.session.diags;
	// tapfleet's tapsets, then the -I directories' (parsed by pass 1), as stap searches its include path
	const tapsets = opts.tapsets ?? [...parseTapsets(opts.session, opts.profile, opts.tapsetDir), ...opts.session.includeTapsets];
	const table = buildSymbolTable(opts.userFiles, tapsets);
	const tr = new Translator(table, opts.guru ?? false, () => btfOf(opts.profile));
	const expander = new ProbeExpander(table, opts.profile);
	const errors: SemanticError[] = [];
	tr.declareUserGlobals(opts.userFiles.flatMap((f) => f.globals));

	const probes: P.ConcreteProbe[] = [];
	const scopes = new Map<P.ConcreteProbe, Scope>();
	const entryPairs: { side: EntrySide; returning: P.ConcreteProbe; entry: P.ConcreteProbe }[] = [];
	for (const probe of [...opts.userFiles, ...opts.pulledTapsets ?? []].flatMap((f) => f.probes)) {
		for (const loc of probe.locations) {
			let expansions: Expansion[];
			try {
				expansions = expander.expand(loc);
			} catch (e) {
				if (!(e instanceof SemanticError)) throw e;
				const wrapped = new SemanticError('while resolving probe point', loc.components[0]!.tok);
				wrapped.chain = e;
				errors.push(wrapped);
				continue;
			}
			for (const x of expansions) {
				const made = concreteProbe(tr, probe, x, probes.length, written(loc), opts.profile);
				for (const [p, sc] of made) {
					probes.push(p);
					scopes.set(p, sc);
				}
				const side = made[0]![1].entry;
				if (made.length === 2 && side) entryPairs.push({ side, returning: made[0]![0], entry: made[1]![0] });
			}
			// `a!, b`: a location that resolved and is sufficient ends the list (stap's derive_probes)
			if (loc.sufficient && expansions.length > 0) break;
		}
	}
	tr.drainFunctions();
	tr.resolveDeletes();
	// Before anything is reported: a tapset file the script uses brings its
	// probes, and they may decide types (target_set.stp's set is written
	// only by its own probes), so elaborate again with them.
	const pulled = opts.pulledTapsets ?? [];
	const more = opts.keepUnused ? [] : tapsetFilesUsed(tr.globals.values(), table).filter((f) => !pulled.includes(f));
	if (more.length > 0) return elaborateOnce({ ...opts, tapsets, pulledTapsets: [...pulled, ...more] });
	errors.push(...tr.errors, ...procfsConflicts(probes));

	const functions = [...tr.functionDefs.values()].sort((a, b) => (a.mangledName < b.mangledName ? -1 : a.mangledName > b.mangledName ? 1 : 0));
	if (errors.length === 0) errors.push(...foreachMutationErrors(probes, functions));
	const globals = [...tr.globals.values()].filter((g) => g.read || g.written || g.fromTapset === null);
	if (errors.length === 0 && probes.length === 0 && !opts.keepUnused) errors.push(new SemanticError('no probes found'));
	if (errors.length > 0) {
		for (const e of errors) reportSemantic(diags, e);
		return { program: null, table };
	}
	// As stap: usage analysis (warnings, elision of dead alias assignments) before types,
	// so that what is elided need not be typed.
	const used = opts.keepUnused ? { globals, functions } : analyseUsage(diags, globals, probes, functions, scopes, table);
	if (!opts.keepUnused) {
		// @entry values that elision left unread (an alias's `pos = $pos`): not kept per call
		const gone = new Set<string>();
		for (const { side, returning, entry } of entryPairs) {
			for (const a of pruneEntrySaves(side, returning, entry)) gone.add(a);
			elideAgain(entry, table, diags);
		}
		used.globals.splice(0, used.globals.length, ...used.globals.filter((g) => !gone.has(g.name)));
	}
	const inference = new TypeInference();
	inference.run(used.functions, probes, used.globals.filter((g) => g.read || g.written));
	for (const e of inference.errors) reportSemantic(diags, e);
	if (inference.errors.length > 0) return { program: null, table };
	const embeds = opts.userFiles.flatMap((f) => f.embeds.map((e) => e.code));
	return { program: { globals: used.globals, functions: used.functions, probes, embeds, buildId: opts.profile.buildId }, table };
}

function written(loc: Probe['locations'][number]): string {
	return loc.components.map((c) => c.functor + (c.arg === null ? '' : c.arg.kind === 'literal_string' ? `("${c.arg.value}")` : `(${c.arg.value})`)).join('.')
		+ (loc.optional && !loc.sufficient ? '?' : '') + (loc.sufficient ? '!' : '');
}

/** The probe of one expansion, and after it the entry probe its @entry values need (entry-side.ts). */
function concreteProbe(tr: Translator, probe: Probe, x: Expansion, index: number, writtenAs: string, profile: KernelProfile): [P.ConcreteProbe, Scope][] {
	const sc = newScope(x.targets);
	sc.entry = isReturnEvent(x.event) ? new EntrySide(x.event, profile, String(index)) : null;
	const parts = spliceBodies(probe.body, x.aliases).map((b) => tr.block(b, sc));
	let condition: P.Expr | null = null;
	for (const c of x.conditions) {
		try {
			const e = tr.expr(c, sc);
			condition = condition ? { kind: 'logical', tok: c.tok, type: 'long', op: '&&', left: condition, right: e } : e;
		} catch (err) {
			if (!(err instanceof SemanticError)) throw err;
			tr.errors.push(err);
		}
	}
	if (x.targets instanceof TracepointTargets) x.targets.preferArguments(sc.usedTargets);
	const side = sc.entry;
	const prologue = side?.prologue ?? [];
	const returning: [P.ConcreteProbe, Scope] = [{
		index, point: x.point, written: writtenAs, named: x.named,
		derivation: x.aliases.map((a) => a.signature),
		event: x.event, condition,
		body: { kind: 'block', tok: probe.body.tok, statements: [...prologue, ...parts] },
		locals: [...sc.locals.values()],
		targetVars: [...sc.usedTargets.values()],
		tok: probe.tok,
	}, sc];
	const esc = sc.entryScope;
	if (!side || side.saves.length === 0 || !esc) return [returning];
	const entry = side.entry(probe.tok);
	if (entry.targets instanceof TracepointTargets) entry.targets.preferArguments(esc.usedTargets);
	return [returning, [{
		index: index + 1, point: entry.point, written: writtenAs, named: x.named,
		derivation: x.aliases.map((a) => a.signature),
		event: entry.event, condition: null,
		body: { kind: 'block', tok: probe.body.tok, statements: side.saves.flatMap((s) => (s.store ? [s.store] : [])) },
		locals: [...esc.locals.values()],
		targetVars: [...esc.usedTargets.values()],
		tok: probe.tok,
	}, esc]];
}
