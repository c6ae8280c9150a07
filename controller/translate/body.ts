// One generated C function (a probe handler or a script function) while it
// is being written: its statement lines, its temporaries, where a run-time
// error jumps (the handler's `out:` or the enclosing catch block), and the
// C names of its variables. Long temporaries and long locals are C locals;
// strings and array keys live in the function's locals struct (the BPF
// stack has 512 bytes: on the kernel side that struct is a per-CPU map).
import type { Token } from '../parse/token.js';
import type { LocalVar, ParamVar, TargetVar } from '../elaborate/program.js';
import { cIdent } from './c-text.js';
import { type ModuleContext, type Side, TranslateError } from './module-context.js';

export interface Line {
	depth: number;
	text: string;
}

export class Body {
	lines: Line[] = [];
	depth = 1;
	/** C local declarations (long temporaries and long locals). */
	readonly cLocals: string[] = [];
	/** Fields of the locals struct. */
	readonly fields: string[] = [];
	private counter = 0;
	/** Where a catchable error goes: "out" or a catch label. */
	errTarget = 'out';
	readonly loops: { brk: string; cont: string }[] = [];
	readonly vars = new Map<LocalVar | ParamVar | TargetVar, string>();
	usesGlobals = false;
	usesLocalsStruct = false;
	/** pp(): the probe point of the handler (functions: of no probe). */
	probePoint = '';

	constructor(
		readonly mod: ModuleContext,
		readonly side: Side,
		/** C name of the function; also names its locals struct. */
		readonly name: string,
		/** Script functions return 1 to unwind (error, next); probe handlers jump to out. */
		readonly isFunction: boolean,
	) {}

	line(text: string): void {
		this.lines.push({ depth: this.depth, text });
	}

	open(text: string): void {
		this.line(text);
		this.depth++;
	}

	close(text = '}'): void {
		this.depth--;
		this.line(text);
	}

	label(prefix = 'L'): string {
		return `${prefix}${this.counter++}`;
	}

	longTemp(): string {
		const n = `t${this.counter++}`;
		this.cLocals.push(`tap_long ${n} = 0;`);
		return n;
	}

	strTemp(): string {
		const n = `s${this.counter++}`;
		this.fields.push(`tap_string ${n};`);
		this.usesLocalsStruct = true;
		return `l->${n}`;
	}

	/** A field of any C type in the locals struct; returns its lvalue. */
	field(ctype: string, prefix: string): string {
		const n = `${prefix}${this.counter++}`;
		this.fields.push(`${ctype} ${n};`);
		this.usesLocalsStruct = true;
		return `l->${n}`;
	}

	/** Declares a script local or parameter (zeroed at entry by the caller of this method). */
	declareVar(v: LocalVar | ParamVar, asField: boolean): string {
		const base = `${v.kind === 'param' ? 'p' : 'v'}${v.index}_${cIdent(v.name)}`;
		let c: string;
		if (v.type === 'string') {
			this.fields.push(`tap_string ${base};`);
			this.usesLocalsStruct = true;
			c = `l->${base}`;
		} else if (asField) {
			this.fields.push(`tap_long ${base};`);
			this.usesLocalsStruct = true;
			c = `l->${base}`;
		} else {
			this.cLocals.push(`tap_long ${base} = 0;`);
			c = base;
		}
		this.vars.set(v, c);
		return c;
	}

	varName(v: LocalVar | ParamVar | TargetVar, tok: Token): string {
		const c = this.vars.get(v);
		if (!c) throw new TranslateError(tok, `internal: ${v.name} has no storage in ${this.name}`);
		return c;
	}

	/** The globals struct pointer (declared and checked at entry when used). */
	globals(): string {
		this.usesGlobals = true;
		return 'G';
	}

	/** Raise a run-time error at `tok` and jump to the error target. */
	raise(code: string, tok: Token | null, arg?: string): void {
		const loc = tok ? String(this.mod.location(tok)) : 'TAP_NO_LOC';
		if (arg !== undefined) this.line(`TAP_ERROR_ARG(c, ${code}, ${loc}, ${arg});`);
		else this.line(`TAP_ERROR(c, ${code}, ${loc});`);
		this.line(`goto ${this.errTarget};`);
	}

	/** `if (cond) { raise }` */
	raiseIf(cond: string, code: string, tok: Token | null, arg?: string): void {
		this.open(`if (${cond}) {`);
		this.raise(code, tok, arg);
		this.close();
	}

	/** After a callee asked to unwind: to the catch block on an error, else out (next, exit). */
	unwind(): string {
		if (this.errTarget === 'out') return 'goto out;';
		return `{ if (c->last_error) goto ${this.errTarget}; goto out; }`;
	}

	unsupported(tok: Token | null, what: string): never {
		throw new TranslateError(tok, `${what} is not supported in ${this.side === 'kernel' ? 'kernel-side probes' : 'user-side probes'} by the bpf runtime yet`);
	}
}
