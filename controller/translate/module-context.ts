// What all generated functions of one module share: the string literal,
// printf format and error location tables, the C names of globals, and the
// diagnostics of things pass 3 cannot generate (with file:line:col).
import { compileRegex, regexProblem } from '../regex/compile.js';
import { literalBytes } from '../regex/pattern-bytes.js';
import { regexDefinition } from './regex-c.js';
import { describeToken } from '../parse/diagnostics.js';
import { formatLoc } from '../parse/source.js';
import type { Token } from '../parse/token.js';
import type { ConcreteProbe, Expr, GlobalVar, Program } from '../elaborate/program.js';
import type { DispatchedProbe } from './syscall-dispatch.js';
import { cIdent, cString } from './c-text.js';

/** Which compilation of the module source a piece of code belongs to. */
export type Side = 'kernel' | 'user';

export class TranslateError extends Error {
	constructor(readonly tok: Token | null, message: string) {
		super(tok ? `${formatLoc(tok)}: ${message}` : message);
	}
}

export class ModuleContext {
	private readonly strings = new Map<string, string>();
	readonly formats: string[] = [];
	private readonly formatIndex = new Map<string, number>();
	readonly locations: string[] = [];
	private readonly locationIndex = new Map<string, number>();
	private readonly globalNames = new Map<GlobalVar, string>();
	/** Kernel-side sprintf formats (bpf_snprintf wants them in a read-only global). */
	readonly kernelFormats: string[] = [];
	private readonly kernelFormatIndex = new Map<string, number>();
	/** File-level user-side C functions (foreach comparators). */
	readonly helpers: string[] = [];
	/** The module's name (stap -m, or tap_<hash>): module_name(). */
	moduleName = '';
	/** kmod: one compilation with both sides on, so kernel-only functions work in every handler. */
	bothSides = false;
	/** bpf: user-side probes read kernel memory, through the module's reader program (TAP_USER_KREAD). */
	userKernelReads = false;
	/**
	 * bpf: code generated so far calls a kfunc (pid2task()), which a raw
	 * tracepoint's program may not: the tracepoints that read arguments after
	 * it are BTF-typed ones (handlers.ts; script functions come before probes).
	 */
	callsKfuncs = false;
	/** bpf: kernel-side probes name user addresses (usymname(), usymdata(), umodname()): the module carries symbol tables. */
	userSymbols = false;
	/** The script calls system(): the manifest says so, and agents load it only for callers with the right to run commands. */
	runsCommands = false;
	/** The script changes the kernel (target-variable writes, embedded C: guru mode), manifest guru. */
	guru = false;
	/** The sides whose script functions call pp() or ppfunc() (probe-points.ts). */
	readonly probePointLookups = new Set<Side>();
	/** bpf: the syscall probes dispatched from raw tracepoints (syscall-dispatch.ts). */
	syscallDispatch: ReadonlyMap<ConcreteProbe, DispatchedProbe> = new Map();
	/** Per array, per string key column: whether every key given there so far is a task's name (16 bytes at most). */
	private readonly keyStrings = new Map<GlobalVar, Map<number, boolean>>();
	/** =~ patterns (literal values) -> their matcher's C name. */
	private readonly regexes = new Map<string, string>();

	constructor(readonly program: Program) {
		program.globals.forEach((g, i) => {
			// BPF map names are at most 15 characters: keep an index prefix unique
			this.globalNames.set(g, `g${i}_${cIdent(g.name)}`.slice(0, 15));
		});
	}

	/**
	 * Records a key expression of string column `column` of array `g`:
	 * the column can be a tap_comm_key (16 bytes, so its keys hash 16
	 * bytes, not MAP_STRING_LENGTH) only if every key given there is
	 * bounded so: execname() and its kin, or a short literal. Every key is
	 * filled through fillKey(), which calls this, before the declarations
	 * are written.
	 */
	noteKeyString(g: GlobalVar, column: number, key: Expr): void {
		const commLike = commBounded(key);
		const columns = this.keyStrings.get(g) ?? new Map<number, boolean>();
		this.keyStrings.set(g, columns.set(column, (columns.get(column) ?? true) && commLike));
	}

	commKeyColumn(g: GlobalVar, column: number): boolean {
		return this.keyStrings.get(g)?.get(column) ?? false;
	}

	/** The C name of a static const char array holding `bytes`. */
	stringLiteral(bytes: string): string {
		let name = this.strings.get(bytes);
		if (!name) {
			name = `str_${this.strings.size}`;
			this.strings.set(bytes, name);
		}
		return name;
	}

	stringTable(): string[] {
		return [...this.strings].map(([bytes, name]) => `static const char ${name}[] = ${cString(bytes)};`);
	}

	/** The C matcher of an =~ pattern (the literal's value); pass 2 has checked that it compiles. */
	regex(value: string, tok: Token): string {
		let name = this.regexes.get(value);
		if (!name) {
			const problem = regexProblem(value);
			if (problem) throw new TranslateError(tok, `regular expression ${JSON.stringify(value)}: ${problem}`);
			name = `tap_re_${this.regexes.size}`;
			this.regexes.set(value, name);
		}
		return name;
	}

	/** The tables and matchers of every pattern, each table with `attr`. */
	regexDefinitions(attr: string): string[] {
		return [...this.regexes].flatMap(([value, name]) => regexDefinition(name, literalBytes(value), compileRegex(value), attr));
	}

	format(fmt: string): number {
		return intern(this.formats, this.formatIndex, fmt);
	}

	/** The C name of a kernel-side sprintf format. */
	kernelFormat(fmt: string): string {
		return `kfmt_${intern(this.kernelFormats, this.kernelFormatIndex, fmt)}`;
	}

	/** The location index of a token, as stap names it in error messages. */
	location(tok: Token): number {
		return intern(this.locations, this.locationIndex, describeToken(tok));
	}

	/** C name of a global: a field of the globals struct (scalars) or a map (arrays, statistics). */
	global(g: GlobalVar): string {
		const n = this.globalNames.get(g);
		if (!n) throw new TranslateError(g.tok, `internal: global ${g.name} is not in the program`);
		return n;
	}

	/** Index of an array or statistic in the user side's tap_maps[]. */
	mapIndex(g: GlobalVar): number {
		return this.program.globals.filter((x) => this.isArrayLike(x)).indexOf(g);
	}

	isArrayLike(g: GlobalVar): boolean {
		return g.keys !== null || g.type === 'stats';
	}
}

/** The index of `text` in a table, added on first use. */
function intern(table: string[], index: Map<string, number>, text: string): number {
	let i = index.get(text);
	if (i === undefined) {
		i = table.length;
		table.push(text);
		index.set(text, i);
	}
	return i;
}

/** Functions whose string is a task's name: TASK_COMM_LEN (16) bytes with its NUL. */
const COMM_FUNCTIONS = new Set(['execname', 'pexecname', 'task_execname']);

/** A key that is a task's name, or a literal as short: it fits a tap_comm_key whole. */
export function commBounded(key: Expr): boolean {
	return (key.kind === 'call' && COMM_FUNCTIONS.has(key.callee.name) && key.callee.body.kind === 'runtime')
		|| (key.kind === 'string' && Buffer.byteLength(key.value) < 16);
}
