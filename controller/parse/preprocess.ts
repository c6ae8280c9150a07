// Second preprocessing layer: conditionals `%( COND %? THEN %: ELSE %)`, as
// stap's scan_pp/skip_pp. Conditions are comparisons joined by && and ||
// (&& binds tighter), evaluated against the target; only the chosen branch's
// tokens reach the parser.
import { evalCondition } from './conditions.js';
import { ParseError } from './diagnostics.js';
import type { MacroExpander } from './macros.js';
import type { PreprocessorTarget } from './target.js';
import { isOp, type Token } from './token.js';

type Branch = 'keep_then' | 'skip_then' | 'keep_else' | 'skip_else';

export class ConditionalPreprocessor {
	/** Open conditionals: their '%(' token and which branch is being read. */
	private readonly stack: { tok: Token; state: Branch }[] = [];
	/** The version string of the last `systemtap_v` condition (stap records it on declarations). */
	systemtapVSeen: Token | null = null;

	constructor(
		private readonly macros: MacroExpander,
		private readonly target: PreprocessorTarget,
	) {}

	scan(): Token | null {
		for (;;) {
			const top = this.stack.length > 0 ? this.stack[this.stack.length - 1] : undefined;
			const state = top?.state;
			const t = state === 'skip_then' || state === 'skip_else' ? this.skip() : this.macros.scan();
			if (t === null) {
				if (top) {
					this.stack.pop();
					throw new ParseError('incomplete conditional at end of file', top.tok);
				}
				return null;
			}
			if (t.type !== 'operator' || t.content.charCodeAt(0) !== 37 /* % */) return t;
			switch (t.content) {
				case '%?':
					throw new ParseError("incomplete conditional - missing '%('", t);
				case '%:':
					if (!top) throw new ParseError("incomplete conditional - missing '%('", t);
					if (state === 'keep_else' || state === 'skip_else') throw new ParseError("invalid conditional - duplicate '%:'", t);
					top.state = state === 'keep_then' ? 'skip_else' : 'keep_else';
					continue;
				case '%)':
					if (!top) throw new ParseError("incomplete conditional - missing '%('", t);
					this.stack.pop();
					continue;
				case '%(':
					this.stack.push({ tok: t, state: this.condition(t) ? 'keep_then' : 'skip_then' });
					continue;
				default:
					return t;
			}
		}
	}

	/** Read and evaluate `COND %?` after '%('. */
	private condition(open: Token): boolean {
		let result = false;
		let andResult = true;
		let n: Token | null;
		for (;;) {
			const l = this.macros.scan();
			const op = this.macros.scan();
			const r = this.macros.scan();
			if (l === null || op === null || r === null) throw new ParseError("incomplete condition after '%('", open);
			// Every comparison is evaluated (and can fail), even when the result is already known.
			andResult = evalCondition(this.target, l, op, r) && andResult;
			if (l.content === 'systemtap_v') this.systemtapVSeen = r;
			n = this.macros.scan();
			if (isOp(n, '&&')) continue;
			result = result || andResult;
			andResult = true;
			if (!isOp(n, '||')) break;
		}
		if (!isOp(n, '%?')) throw new ParseError("expected '%?' marker for conditional", open);
		return result;
	}

	/** Skip a false branch, heeding only nested conditionals; errors inside it are ignored. */
	private skip(): Token | null {
		let nesting = 0;
		for (;;) {
			let t: Token | null;
			try {
				t = this.macros.scan(true);
			} catch (e) {
				if (e instanceof ParseError) continue;
				throw e;
			}
			if (t === null) return null;
			if (t.type === 'operator') {
				if (t.content === '%(') nesting++;
				else if (nesting && t.content === '%)') nesting--;
				else if (!nesting && (t.content === '%:' || t.content === '%?' || t.content === '%)')) return t;
			}
		}
	}
}
