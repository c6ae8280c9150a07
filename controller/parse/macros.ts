// First preprocessing layer: `@define NAME(PARAMS) %( BODY %)` definitions and
// their expansion, as stap's scan_pp1. Macros come from the file itself or
// from the library (.stpm files); unknown `@words` pass through as operators.
import { ParseError } from './diagnostics.js';
import type { Diagnostics } from './diagnostics.js';
import type { Lexer } from './lexer.js';
import { isOp, type Token, withChain } from './token.js';

export interface MacroDecl {
	/** The name token of the definition (or, for a parameter, of the invocation). */
	readonly tok: Token;
	readonly name: string;
	readonly formalArgs: readonly string[];
	body: readonly Token[];
	/** Library macros see only other library macros. */
	context: 'library' | 'local';
	/** For a macro parameter: the activation its argument text must be expanded in. */
	readonly parentActivation: Activation | null;
}

/** An expansion in progress. */
interface Activation {
	readonly tok: Token;
	cursor: number;
	params: Map<string, MacroDecl>;
	readonly macro: MacroDecl;
}

/** The parameters of a macro that has none (shared: never modified). */
const NO_PARAMS: Map<string, MacroDecl> = new Map();

/** Limit on nested macro expansions: a recursive macro would otherwise expand forever. */
export const MAX_MACRO_DEPTH = 1000;

/**
 * '@name' -> 'name', one string per name: the lexer shares the '@name'
 * strings, so the names looked up in the macro tables are shared too and
 * hashed once. (Bounded: cleared if a fuzzer's input makes it large.)
 */
const macroNames = new Map<string, string>();

function macroName(atWord: string): string {
	let name = macroNames.get(atWord);
	if (name === undefined) {
		if (macroNames.size >= 10_000) macroNames.clear();
		macroNames.set(atWord, (name = atWord.slice(1)));
	}
	return name;
}

export class MacroExpander {
	/** Macros defined in this file, by name (without '@'). */
	readonly namespace = new Map<string, MacroDecl>();
	private readonly stack: Activation[] = [];

	constructor(
		private readonly lexer: Lexer,
		private readonly libraryMacros: ReadonlyMap<string, MacroDecl>,
		private readonly diags: Diagnostics,
	) {}

	/** The next raw token from the current source: the file, or the innermost macro body. */
	private nextRaw(): Token | null {
		// (Never index an empty array at -1: V8 takes a slow path for it.)
		const depth = this.stack.length;
		if (depth === 0) return this.lexer.scan();
		const act = this.stack[depth - 1]!;
		if (act.cursor < act.macro.body.length) return withChain(act.macro.body[act.cursor++]!, act.tok);
		return null;
	}

	/** The next token after macro processing; `ignoreMacros` skips definitions (inside false conditionals). */
	scan(ignoreMacros = false): Token | null {
		for (;;) {
			const t = this.nextRaw();
			if (t === null) {
				if (this.stack.length === 0) return null;
				this.stack.pop();
				continue;
			}
			if (t.type !== 'operator' || t.content.charCodeAt(0) !== 64 /* @ */) return t;
			if (t.content === '@define') {
				if (ignoreMacros) return t;
				this.define(t);
				continue;
			}
			const name = macroName(t.content);
			const act = this.stack.length > 0 ? this.stack[this.stack.length - 1]! : null;
			let decl: MacroDecl | undefined;
			if (act && act.params.has(name)) decl = act.params.get(name);
			else if (!(act && act.macro.context === 'library') && this.namespace.has(name)) decl = this.namespace.get(name);
			else decl = this.libraryMacros.get(name);
			if (!decl) return t; // an ordinary @operator
			this.invoke(t, decl, act);
		}
	}

	private define(defineTok: Token): void {
		if (this.stack.length > 0) throw new ParseError("'@define' forbidden inside macro body", defineTok);
		let t = this.lexer.scan();
		if (!(t && t.type === 'identifier')) throw new ParseError('expected identifier', t);
		const name = t.content;
		const previous = this.namespace.get(name);
		if (previous) {
			const er = new ParseError(`attempt to redefine macro '@${name}' in the same file`, t);
			er.chain = new ParseError(`macro '@${name}' first defined here`, previous.tok);
			throw er;
		}
		if (name === 'define') throw new ParseError("attempt to redefine '@define'", t);
		if (this.lexer.atwords.has(name)) this.diags.warn(`macro redefines built-in operator '@${name}'`, t);
		const nameTok = t;
		const formalArgs: string[] = [];
		const body: Token[] = [];
		// Registered before the body is read, as stap does: a later error still leaves it defined.
		const decl: MacroDecl = { tok: nameTok, name, formalArgs, body, context: 'local', parentActivation: null };
		this.namespace.set(name, decl);

		let sawParams = false;
		t = this.lexer.scan();
		if (isOp(t, '(')) {
			sawParams = true;
			for (;;) {
				t = this.lexer.scan();
				if (!(t && t.type === 'identifier')) throw new ParseError('expected identifier', t);
				formalArgs.push(t.content);
				t = this.lexer.scan();
				if (isOp(t, ',')) continue;
				if (isOp(t, ')')) {
					t = this.lexer.scan();
					break;
				}
				throw new ParseError("expected ',' or ')'", t);
			}
		}
		if (!isOp(t, '%(')) throw new ParseError(sawParams ? "expected '%('" : "expected '%(' or '('", t);
		let nesting = 0;
		for (;;) {
			t = this.nextRaw();
			if (t === null) throw new ParseError("incomplete macro definition - missing '%)'", nameTok);
			if (isOp(t, '%(')) nesting++;
			else if (isOp(t, '%)')) {
				if (nesting === 0) break;
				nesting--;
			}
			body.push(t);
		}
		decl.body = body.slice(); // exactly as long as it is: library macros live as long as the session
	}

	private invoke(t: Token, decl: MacroDecl, act: Activation | null): void {
		if (this.stack.length >= MAX_MACRO_DEPTH) {
			throw new ParseError(`macro expansion nested more than ${MAX_MACRO_DEPTH} deep (recursive macro?)`, t);
		}
		const name = t.content.slice(1);
		const numParams = decl.formalArgs.length;
		if (numParams === 0) {
			// A parameter is expanded in the context of the macro invocation that supplied it.
			const params = decl.parentActivation ? decl.parentActivation.params : NO_PARAMS;
			this.stack.push({ tok: t, cursor: 0, params, macro: decl });
			return;
		}
		const newAct: Activation = { tok: t, cursor: 0, params: new Map(), macro: decl };
		let sep = this.nextRaw();
		if (!isOp(sep, '(')) {
			throw new ParseError(`expected '(' in invocation of macro '@${name}' taking ${numParams} parameter${numParams === 1 ? '' : 's'}`, sep);
		}
		for (let i = 0; i < numParams; i++) {
			const body: Token[] = [];
			newAct.params.set(decl.formalArgs[i]!, {
				tok: t, name: decl.formalArgs[i]!, formalArgs: [], body, context: 'local', parentActivation: act,
			});
			sep = this.slurpParam(body);
			if (sep === null) throw new ParseError('could not find end of macro invocation', t);
			if (isOp(sep, ',')) {
				if (i + 1 === numParams) throw new ParseError(`too many parameters for macro '@${name}' (expected ${numParams})`, sep);
			} else if (isOp(sep, ')')) {
				if (i + 1 !== numParams) throw new ParseError(`too few parameters for macro '@${name}' (expected ${numParams})`, sep);
			}
		}
		this.stack.push(newAct);
	}

	/** One macro argument: tokens up to an unbracketed ',' or ')', which is returned. */
	private slurpParam(param: Token[]): Token | null {
		let nesting = 0;
		for (;;) {
			const t = this.nextRaw();
			if (t === null) return null;
			if (t.type === 'operator' && (t.content === '(' || t.content === '[')) nesting++;
			else if (nesting && t.type === 'operator' && (t.content === ')' || t.content === ']')) nesting--;
			else if (!nesting && t.type === 'operator' && (t.content === ')' || t.content === ',')) return t;
			param.push(t);
		}
	}
}
