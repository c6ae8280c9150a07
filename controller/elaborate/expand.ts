// Probe point expansion (stap's derive_probes / match_node): `{a,b}`
// alternatives, wildcards against aliases and against the profile, alias
// chains with their prologues/epilogues, optional `?`, sufficient `!`, and
// `if (cond)` conditions collected along the way.
import type { Block, Expression, ProbeAlias, ProbePoint, ProbePointComponent } from '../parse/ast.js';
import type { KernelProfile } from '../profile/types.js';
import { SemanticError, similarNames, withSimilar } from './diagnostics.js';
import { expandBraces, globMatch, isGlob } from './glob.js';
import type { AliasName, SymbolTable } from './library.js';
import { matchPrimitive, pointString, PRIMITIVE_HEADS, type PrimitiveMatch } from './primitives.js';

/** One alias level a concrete probe went through, outermost (the one the user named) first. */
export interface AliasStep {
	readonly alias: ProbeAlias;
	/** "syscall.open = kernel.trace(...)" as stap's probe_alias::printsig shows it. */
	readonly signature: string;
}

export interface Expansion extends PrimitiveMatch {
	/** The alias name or primitive point the pattern matched, wildcards filled in (what `stap -l` lists). */
	readonly named: string;
	readonly aliases: AliasStep[];
	/** `if (cond)` of every location on the way (all must hold). */
	readonly conditions: Expression[];
}

/** Alias recursion deeper than this is a cycle. */
const MAX_ALIAS_DEPTH = 32;
/**
 * Concrete probes one probe point may become: aliases that each name the
 * next twice double at every level (2^22 of them ran out of stack); far
 * above a whole kernel's functions (kernel.function("*")).
 */
const MAX_EXPANSIONS = 100_000;

function tooMany(pp: ProbePoint): SemanticError {
	return new SemanticError(`probe point ${pointString(pp)} expands to more than ${MAX_EXPANSIONS} probes`, pp.components[0]!.tok);
}

/** `to` += `from`, without spreading it into arguments (a long list would not fit on the stack). */
function append<T>(to: T[], from: readonly T[]): void {
	for (const x of from) to.push(x);
}

function braceAlternatives(pp: ProbePoint): ProbePoint[] {
	let out: ProbePoint[] = [pp];
	pp.components.forEach((comp, i) => {
		const alts = expandBraces(comp.functor);
		if (alts.length === 1) return;
		out = out.flatMap((p) => alts.map((functor) => {
			const comps: ProbePointComponent[] = [...p.components];
			comps[i] = { tok: comp.tok, functor, arg: comp.arg };
			return { ...p, components: comps };
		}));
	});
	return out;
}

const locationString = (pp: ProbePoint): string => pointString(pp) + (pp.sufficient ? '!' : pp.optional ? '?' : '');

/** As stap's probe_alias::printsig. */
function aliasSignature(a: ProbeAlias): string {
	return `${a.aliasNames.map(pointString).join(' = ')}${a.epilogueStyle ? ' += ' : ' = '}${a.locations.map(locationString).join(', ')}`;
}

function nameMatches(pattern: ProbePoint, name: ProbePoint): boolean {
	return pattern.components.length === name.components.length && prefixMatches(pattern, name);
}

/** Do the alias name's components match the pattern's first ones? */
function prefixMatches(pattern: ProbePoint, name: ProbePoint): boolean {
	if (pattern.components.length < name.components.length) return false;
	return name.components.every((n, i) => {
		const c = pattern.components[i]!;
		return c.arg === null && n.arg === null && globMatch(c.functor, n.functor);
	});
}

/** An alias named by the first components of a longer point: the rest is its suffix. */
interface SuffixHit {
	readonly hit: AliasName;
	readonly suffix: readonly ProbePointComponent[];
}

/** Is the alias name the event's own (syscall.openat for sys_enter_openat)? */
function namedAfter(x: Expansion): boolean {
	const parts = x.named.split('.').filter((p) => p !== 'return');
	const last = parts[parts.length - 1] ?? '';
	return x.point.endsWith(`_${last}")`) || x.point.endsWith(`:${last}")`);
}

/** An alias met again inside its own expansion (see expandAlias). */
class AliasLoopError extends SemanticError {}

export class ProbeExpander {
	/** The aliases being expanded, outermost first. */
	private readonly expanding: ProbeAlias[] = [];
	/** Alias names by their first component: a lookup per expansion, not a scan of thousands. */
	private readonly byHead = new Map<string, AliasName[]>();

	constructor(
		private readonly table: SymbolTable,
		private readonly profile: KernelProfile,
	) {
		for (const a of table.aliases) {
			const head = a.name.components[0]!.functor;
			const list = this.byHead.get(head) ?? [];
			list.push(a);
			this.byHead.set(head, list);
		}
	}

	/** The aliases whose first component the point's first one matches. */
	private aliasesByHead(pp: ProbePoint): AliasName[] {
		const head = pp.components[0]!.functor;
		return isGlob(head)
			? [...this.byHead].filter(([h]) => globMatch(head, h)).flatMap(([, list]) => list)
			: this.byHead.get(head) ?? [];
	}

	private aliasesMatching(pp: ProbePoint): AliasName[] {
		return this.aliasesByHead(pp).filter((a) => nameMatches(pp, a.name));
	}

	/**
	 * Alias suffixes, as stap has them since 2.0: `perf.sw.cpu_clock.sample(N)`
	 * is the alias `perf.sw.cpu_clock` with `.sample(N)` appended to each of
	 * its locations. Only where no alias or primitive has the whole name, and
	 * the longest alias name wins.
	 */
	private aliasesWithSuffix(pp: ProbePoint): SuffixHit[] {
		const hits = this.aliasesByHead(pp).filter((a) => a.name.components.length < pp.components.length && prefixMatches(pp, a.name));
		const longest = Math.max(0, ...hits.map((a) => a.name.components.length));
		return hits
			.filter((a) => a.name.components.length === longest)
			.map((hit) => ({ hit, suffix: pp.components.slice(longest) }));
	}

	/** Every concrete probe for one location; throws SemanticError when a required one has none. */
	expand(pp: ProbePoint, depth = 0, parentOptional = false): Expansion[] {
		if (depth > MAX_ALIAS_DEPTH) throw new SemanticError('probe alias recursion too deep', pp.components[0]!.tok);
		const optional = pp.optional || pp.sufficient || parentOptional;
		const out: Expansion[] = [];
		const seenPoints = new Map<string, number>();
		for (const alt of braceAlternatives(pp)) {
			const wildcard = isGlob(pointString(alt));
			let found: Expansion[];
			try {
				found = this.expandOne(alt, depth, optional);
			} catch (e) {
				if (!(e instanceof SemanticError) || !optional) throw e;
				found = [];
			}
			for (const x of found) {
				const y = pp.condition ? { ...x, conditions: [pp.condition, ...x.conditions] } : x;
				// Overlapping aliases under a wildcard (syscall.open covers openat too): one probe
				// per concrete point, preferably the alias named after it (syscall.openat).
				const at = wildcard ? seenPoints.get(x.point) : undefined;
				if (at === undefined) {
					seenPoints.set(x.point, out.length);
					out.push(y);
				} else if (namedAfter(x) && !namedAfter(out[at]!)) out[at] = y;
			}
		}
		if (out.length === 0 && !optional) throw new SemanticError('no match', pp.components[pp.components.length - 1]!.tok);
		if (out.length > MAX_EXPANSIONS) throw tooMany(pp);
		return out;
	}

	private expandOne(pp: ProbePoint, depth: number, optional: boolean): Expansion[] {
		const aliasHits = this.aliasesMatching(pp);
		const out: Expansion[] = [];
		for (const hit of aliasHits) {
			const named = pointString(hit.name);
			append(out, this.expandAlias(pp, hit.alias, depth, optional).map((x) => ({ ...x, named })));
		}
		if (aliasHits.length === 0) {
			const prim = matchPrimitive(pp, this.profile);
			if (prim) append(out, prim.map((p) => ({ ...p, named: p.point, aliases: [], conditions: [] })));
			else {
				const suffixed = this.aliasesWithSuffix(pp);
				if (suffixed.length === 0 && !optional) throw this.mismatch(pp);
				for (const { hit, suffix } of suffixed) {
					const named = pointString({ ...hit.name, components: [...hit.name.components, ...suffix] });
					append(out, this.expandSuffixed(pp, hit, suffix, depth, optional).map((x) => ({ ...x, named })));
				}
			}
		}
		return out;
	}

	/** An alias with a suffix; a suffix its locations do not take is the user's error, located at the suffix. */
	private expandSuffixed(use: ProbePoint, hit: AliasName, suffix: readonly ProbePointComponent[], depth: number, optional: boolean): Expansion[] {
		try {
			return this.expandAlias(use, hit.alias, depth, optional, suffix);
		} catch (e) {
			if (!(e instanceof SemanticError) || e instanceof AliasLoopError) throw e;
			// Blame the suffix only if the alias resolves without it.
			this.expandAlias(use, hit.alias, depth, optional);
			const rest = pointString({ ...hit.name, components: [...suffix] });
			const targets = hit.alias.locations.map(pointString).join(', ');
			throw new SemanticError(
				`probe point mismatch: the alias ${pointString(hit.name)} (= ${targets}) takes no suffix .${rest}`,
				suffix[0]!.tok,
			);
		}
	}

	/**
	 * `use` (a probe point naming the alias, with `suffix` after its name)
	 * through each of the alias's locations. An alias met again inside its
	 * own expansion is a loop, as stap says: its locations come back with
	 * the same or a longer suffix, so the expansion could only end by
	 * failing, after a time exponential in the aliases' fan-out.
	 */
	private expandAlias(use: ProbePoint, alias: ProbeAlias, depth: number, optional: boolean, suffix: readonly ProbePointComponent[] = []): Expansion[] {
		if (this.expanding.includes(alias)) throw new AliasLoopError(`recursive loop in alias expansion of ${pointString(use)}`, use.components[0]!.tok);
		const step: AliasStep = { alias, signature: aliasSignature(alias) };
		const out: Expansion[] = [];
		this.expanding.push(alias);
		try {
			for (const aliasLoc of alias.locations) {
				const loc = suffix.length === 0 ? aliasLoc : { ...aliasLoc, components: [...aliasLoc.components, ...suffix] };
				const found = this.expand(loc, depth + 1, optional);
				append(out, found.map((x) => ({ ...x, aliases: [step, ...x.aliases] })));
				if (out.length > MAX_EXPANSIONS) throw tooMany(use);
				if (loc.sufficient && found.length > 0) break;
			}
		} finally {
			this.expanding.pop();
		}
		return out;
	}

	/** "probe point mismatch (similar: ...)" at the first component no alias or primitive knows. */
	private mismatch(pp: ProbePoint): SemanticError {
		for (let i = 0; i < pp.components.length; i++) {
			const prefix = pp.components.slice(0, i);
			const known = new Set<string>(i === 0 ? PRIMITIVE_HEADS : []);
			for (const a of this.table.aliases) {
				const comps = a.name.components;
				if (comps.length > i && prefix.every((c, j) => globMatch(c.functor, comps[j]!.functor))) known.add(comps[i]!.functor);
			}
			const comp = pp.components[i]!;
			if (i === 0 && PRIMITIVE_HEADS.includes(comp.functor)) continue;
			if ([...known].some((k) => globMatch(comp.functor, k))) continue;
			const message = isGlob(comp.functor) ? "probe point mismatch: didn't find any wildcard matches" : 'probe point mismatch';
			// tapsets' internal aliases (__vm.kmalloc.common) are no suggestion for a script's probe point
			const suggestible = [...known].filter((k) => !k.startsWith('__') || comp.functor.startsWith('__'));
			return new SemanticError(withSimilar(message, similarNames(comp.functor, suggestible)), comp.tok);
		}
		const last = pp.components[pp.components.length - 1]!;
		return new SemanticError(`probe point mismatch: '${pointString(pp)}' is not a probe point of this kernel`, last.tok);
	}
}

/** Splice alias prologues/epilogues around the user's body, innermost alias nearest the body. */
export function spliceBodies(user: Block, aliases: readonly AliasStep[]): Block[] {
	let parts: Block[] = [user];
	for (let i = 0; i < aliases.length; i++) {
		const a = aliases[i]!.alias;
		if (a.body2) parts = [a.body, ...parts, a.body2];
		else if (a.epilogueStyle) parts = [...parts, a.body];
		else parts = [a.body, ...parts];
	}
	return parts;
}
