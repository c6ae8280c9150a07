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

/** What a handler shares with the loop callbacks split out of it (kernel side). */
interface Shared {
	/** Names the locals struct and its map. */
	readonly localsName: string;
	readonly fields: string[];
	readonly vars: Map<LocalVar | ParamVar | TargetVar, string>;
	counter: number;
	usesLocalsStruct: boolean;
	/** bpf_loop callbacks, rendered once the locals struct is known. */
	readonly callbacks: (() => string)[];
	probePoint: string;
	/** pn(): the point the script's probe matched, wildcards filled in ("syscall.read"). */
	probeName: string;
	/** is_return(): the probe is at a function's return (probe-points.ts isReturnProbe). */
	probeIsReturn?: boolean;
	/**
	 * The handler serves every probe point whose handler text is the same
	 * (translate.ts: the expansions of one uprobe wildcard): the point is the
	 * running probe's (the attach cookie's) and pp()/ppfunc() look it up.
	 */
	pointFromContext?: boolean;
	/** The handler's kind of event ('' in functions): what its `ctx` is. */
	eventKind: string;
	/** Where the probed code's arguments are (int_arg()): a system call's, a user function's, a kernel function's; none elsewhere. */
	argRegs?: 'syscall' | 'user-call' | 'kernel-call';
	/** The register argument that int_arg(1) reads (2 in syscall.open's openat probe: after dirfd). */
	firstArg?: number;
	/**
	 * Set by `next` or `return` inside a loop callback (1: next, 2: return),
	 * which can only stop its bpf_loop(): the code after each loop looks at
	 * it and goes on leaving. The field, once a callback needs it.
	 */
	leaveFlag?: string;
	/** Where `return` in a callback leaves the function's value. */
	returnSlot?: { readonly field: string; readonly string: boolean };
	/** String temporaries in use, oldest first (see strTemp). */
	readonly liveStrTemps: string[];
	/** String temporaries of statements already done, free to serve again. */
	readonly freeStrTemps: string[];
}

export class Body {
	lines: Line[] = [];
	depth = 1;
	/** C local declarations (temporaries that never outlive one C function). */
	readonly cLocals: string[] = [];
	/** Where a catchable error goes: "out" or a catch label. */
	errTarget = 'out';
	/**
	 * Target variables read where they are used rather than at entry (kmod's
	 * member chains, which may fault): the C of a read here, or null.
	 */
	targetReader: ((body: Body, v: TargetVar, tok: Token) => string | null) | null = null;
	/**
	 * Writes a stable C long into a target variable (guru mode: `$return =
	 * -1`); null where the runtime cannot (BPF changes no registers or
	 * kernel memory).
	 */
	targetWriter: ((body: Body, v: TargetVar, value: string, tok: Token) => void) | null = null;
	readonly loops: { brk: string; cont: string }[] = [];
	usesGlobals = false;
	readonly shared: Shared;

	constructor(
		readonly mod: ModuleContext,
		readonly side: Side,
		/** C name of the function; also names its locals struct. */
		readonly name: string,
		/** Script functions return 1 to unwind (error, next); probe handlers jump to out. */
		readonly isFunction: boolean,
		parent?: Body,
	) {
		this.shared = parent?.shared ?? {
			localsName: name, fields: [], vars: new Map(), counter: 0, usesLocalsStruct: false, callbacks: [], probePoint: '', probeName: '', eventKind: '',
			liveStrTemps: [], freeStrTemps: [],
		};
	}

	/** A loop body split into its own C function (bpf_loop callback) sharing this handler's locals. */
	child(name: string): Body {
		const c = new Body(this.mod, this.side, name, this.isFunction, this);
		c.targetReader = this.targetReader;
		c.targetWriter = this.targetWriter;
		return c;
	}

	/**
	 * This body as the C function of a kernel-side callback (bpf_loop(),
	 * bpf_for_each_map_elem()): the context, the locals and the globals
	 * fetched again (per CPU: the running handler's), then the body; 1 (stop)
	 * where one is missing.
	 */
	callbackFunction(signature: string, params: readonly string[]): string {
		const l = this.usesLocalsStruct ? [`struct ${this.shared.localsName}_locals *l = TAP_LOCALS_GET(${this.shared.localsName});`] : [];
		const g = this.usesGlobals ? ['struct tap_globals *G = TAP_GLOBALS_GET();'] : [];
		const checks = ['!c', ...(l.length ? ['!l'] : []), ...(g.length ? ['!G'] : [])].join(' || ');
		return [
			signature,
			'{',
			'\tstruct tap_context *c = tap_context_get();',
			...[...l, ...g, ...this.cLocals].map((x) => `\t${x}`),
			'',
			...params.map((p) => `\t(void)${p};`),
			`\tif (${checks})`,
			'\t\treturn 1;',
			...this.lines.map((x) => '\t'.repeat(x.depth) + x.text),
			'}',
			'',
		].join('\n');
	}

	/** A loop body's callback (bpf kernel side), not the handler or function itself. */
	get isLoopCallback(): boolean {
		return this.shared.localsName !== this.name;
	}

	get fields(): string[] {
		return this.shared.fields;
	}

	get vars(): Map<LocalVar | ParamVar | TargetVar, string> {
		return this.shared.vars;
	}

	get usesLocalsStruct(): boolean {
		return this.shared.usesLocalsStruct;
	}

	set usesLocalsStruct(v: boolean) {
		this.shared.usesLocalsStruct = v;
	}

	get probePoint(): string {
		return this.shared.probePoint;
	}

	set probePoint(v: string) {
		this.shared.probePoint = v;
	}

	get probeName(): string {
		return this.shared.probeName;
	}

	set probeName(v: string) {
		this.shared.probeName = v;
	}

	private get counter(): number {
		return this.shared.counter;
	}

	private set counter(v: number) {
		this.shared.counter = v;
	}

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
		// kernel side: loop callbacks must see every value, so all live in the struct
		if (this.side === 'kernel') return this.field('tap_long', 't');
		const n = `t${this.counter++}`;
		this.cLocals.push(`tap_long ${n} = 0;`);
		return n;
	}

	/**
	 * A string temporary (MAXSTRINGLEN bytes in the locals struct). A
	 * statement's temporaries are dead once it is done (releaseTemps, called
	 * by genStmt), so later statements take them again: a probe's struct
	 * grows with its most demanding statement, not with its length (on the
	 * kernel side it is a per-CPU map value, at most 32 KiB). A temporary
	 * holds whatever it held before: every use writes it first.
	 */
	strTemp(): string {
		let t = this.shared.freeStrTemps.pop();
		if (t === undefined) {
			const n = `s${this.counter++}`;
			this.fields.push(`tap_string ${n};`);
			this.usesLocalsStruct = true;
			t = `l->${n}`;
		}
		this.shared.liveStrTemps.push(t);
		return t;
	}

	/** How many string temporaries are in use: what releaseTemps() goes back to. */
	tempMark(): number {
		return this.shared.liveStrTemps.length;
	}

	/** The string temporaries taken since `mark` are free again (their statement is done). */
	releaseTemps(mark: number): void {
		this.shared.freeStrTemps.push(...this.shared.liveStrTemps.splice(mark));
	}

	/** A field of any C type in the locals struct (an array of `length` of them); returns its lvalue. */
	field(ctype: string, prefix: string, length?: number): string {
		const n = `${prefix}${this.counter++}`;
		this.fields.push(`${ctype} ${n}${length === undefined ? '' : `[${length}]`};`);
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
		} else if (asField || this.side === 'kernel') {
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

	/**
	 * Here the code reads kernel memory: in the kernel on the kernel side
	 * and on kmod; on the bpf user side through the module's reader
	 * program, which this asks for (tap_kernel.h, TAP_USER_KREAD).
	 */
	readsKernelMemory(): void {
		if (this.side === 'user' && !this.mod.bothSides) this.mod.userKernelReads = true;
	}

	/** The builtin call being generated (calls.ts): where an error without a location of its own points. */
	callTok?: Token;

	unsupported(tok: Token | null, what: string): never {
		const where = this.mod.bothSides ? 'by the kmod runtime yet' : `in ${this.side === 'kernel' ? 'kernel-side probes' : 'user-side probes'} by the bpf runtime yet`;
		throw new TranslateError(tok ?? this.callTok ?? null, `${what} is not supported ${where}`);
	}
}
