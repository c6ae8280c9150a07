// A pattern's tree made into a deterministic automaton that answers
// "does the pattern occur anywhere in this string" in one pass over its
// bytes, with no backtracking and no memory but its state: what a BPF
// program can run under the verifier (a bounded loop over table lookups),
// and the same tables on every side of every runtime.
//
// Thompson's construction gives a byte NFA whose `^` and `$` are
// assertions; the subset construction follows `^` edges only at the
// string's start and `$` edges only at its end, and adds the NFA's start
// to every step's set (the pattern may begin at any byte). Bytes that no
// part of the pattern tells apart share one column (a byte class).
import type { ByteSet, ReNode } from './parse.js';

/** Limits of one pattern, past which it is refused as too complex. */
export const REGEX_LIMITS = { maxNfaStates: 20000, maxDfaStates: 1024 } as const;

export class RegexTooComplexError extends Error {}

export interface Dfa {
	/** Byte -> its class (a column of `next`). */
	readonly classOf: Uint8Array;
	readonly classes: number;
	/** next[state][class]: the next state, or `dead` (= states.length) once no match can follow. */
	readonly next: number[][];
	/** Per state: 1 the pattern has occurred (a match whatever follows), 2 it occurs if the string ends here, 0 neither. */
	readonly accept: number[];
	readonly start: number;
	readonly dead: number;
}

type NfaState =
	| { kind: 'byte'; set: ByteSet; to: number }
	| { kind: 'split'; to: number[] }
	| { kind: 'bol' | 'eol'; to: number }
	| { kind: 'accept' };

class Nfa {
	readonly states: NfaState[] = [];

	add(s: NfaState): number {
		if (this.states.length >= REGEX_LIMITS.maxNfaStates) throw new RegexTooComplexError(`the regular expression needs more than ${REGEX_LIMITS.maxNfaStates} automaton states`);
		this.states.push(s);
		return this.states.length - 1;
	}

	/** States for `node` that continue at `next`; returns its entry. */
	build(node: ReNode, next: number): number {
		switch (node.kind) {
			case 'set': return this.add({ kind: 'byte', set: node.set, to: next });
			case 'empty': return next;
			case 'bol': case 'eol': return this.add({ kind: node.kind, to: next });
			case 'cat': return node.items.reduceRight((to, item) => this.build(item, to), next);
			case 'alt': return this.add({ kind: 'split', to: node.items.map((item) => this.build(item, next)) });
			case 'repeat': {
				let entry = next;
				if (node.max === -1) {
					// a loop: the split either runs the body again or leaves
					const loop = this.add({ kind: 'split', to: [] });
					const body = this.build(node.node, loop);
					(this.states[loop] as { to: number[] }).to.push(body, next);
					entry = loop;
				} else {
					// optional copies, innermost last: x{2,4} = x x (x (x)?)?
					for (let i = node.max; i > node.min; i--) entry = this.add({ kind: 'split', to: [this.build(node.node, entry), next] });
				}
				for (let i = 0; i < node.min; i++) entry = this.build(node.node, entry);
				return entry;
			}
		}
	}
}

/** Columns: bytes that every byte set of the NFA treats alike share one. */
function byteClasses(nfa: Nfa): { classOf: Uint8Array; classes: number; representative: number[] } {
	const sets = nfa.states.flatMap((s) => (s.kind === 'byte' ? [s.set] : []));
	const signature = new Map<string, number>();
	const classOf = new Uint8Array(256);
	const representative: number[] = [];
	for (let b = 0; b < 256; b++) {
		const key = b === 0 ? 'nul' : sets.map((s) => s[b]).join('');
		let c = signature.get(key);
		if (c === undefined) {
			c = representative.length;
			signature.set(key, c);
			representative.push(b);
		}
		classOf[b] = c;
	}
	return { classOf, classes: representative.length, representative };
}

/** The automaton of a pattern's tree; a RegexTooComplexError past REGEX_LIMITS. */
export function buildDfa(tree: ReNode): Dfa {
	const nfa = new Nfa();
	const acceptState = nfa.add({ kind: 'accept' });
	const start = nfa.build(tree, acceptState);
	const { classOf, classes, representative } = byteClasses(nfa);

	/** The states reachable without a byte: `^` edges only at the start, `$` edges only at the end. */
	const closure = (seeds: Iterable<number>, atStart: boolean, atEnd: boolean): number[] => {
		const seen = new Set<number>();
		const stack = [...seeds];
		while (stack.length) {
			const i = stack.pop()!;
			if (seen.has(i)) continue;
			seen.add(i);
			const s = nfa.states[i]!;
			if (s.kind === 'split') stack.push(...s.to);
			else if ((s.kind === 'bol' && atStart) || (s.kind === 'eol' && atEnd)) stack.push(s.to);
		}
		return [...seen].sort((a, b) => a - b);
	};

	const sets: number[][] = [];
	const index = new Map<string, number>();
	const accept: number[] = [];
	const next: number[][] = [];
	const intern = (set: number[], atStart: boolean): number => {
		// the start state stands alone: it alone may still take `^` edges
		const key = (atStart ? 's:' : '') + set.join(',');
		let i = index.get(key);
		if (i !== undefined) return i;
		i = sets.length;
		if (i >= REGEX_LIMITS.maxDfaStates) throw new RegexTooComplexError(`the regular expression needs more than ${REGEX_LIMITS.maxDfaStates} automaton states`);
		index.set(key, i);
		sets.push(set);
		const now = set.includes(acceptState);
		const atEnd = closure(set, atStart, true).includes(acceptState);
		accept.push(now ? 1 : atEnd ? 2 : 0);
		return i;
	};
	const first = intern(closure([start], true, false), true);
	for (let i = 0; i < sets.length; i++) {
		const row: number[] = [];
		for (let c = 0; c < classes; c++) {
			const byte = representative[c]!;
			const moved = new Set<number>([start]);
			if (byte !== 0) for (const j of sets[i]!) {
				const s = nfa.states[j]!;
				if (s.kind === 'byte' && s.set[byte]) moved.add(s.to);
			}
			row.push(intern(closure(moved, false, false), false));
		}
		next.push(row);
	}
	// States from which no match can come any more: the dead end (a pattern anchored with ^ after its start)
	const live = new Set<number>(accept.flatMap((a, i) => (a ? [i] : [])));
	for (let grew = true; grew; ) {
		grew = false;
		next.forEach((row, i) => {
			if (!live.has(i) && row.some((t) => live.has(t))) {
				live.add(i);
				grew = true;
			}
		});
	}
	const dead = sets.length;
	const mapped = next.map((row) => row.map((t) => (live.has(t) ? t : dead)));
	return { classOf, classes, next: mapped, accept, start: live.has(first) ? first : dead, dead };
}

/** Runs the automaton over `bytes` (one char per byte, up to a NUL): the reference the C matcher follows. */
export function dfaMatches(d: Dfa, bytes: string): boolean {
	let s = d.start;
	for (let i = 0; ; i++) {
		if (s === d.dead) return false;
		if (d.accept[s] === 1) return true;
		const b = i < bytes.length ? bytes.charCodeAt(i) & 0xff : 0;
		if (b === 0) return d.accept[s] !== 0;
		s = d.next[s]![d.classOf[b]!]!;
	}
}
