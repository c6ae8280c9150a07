// The output of pass 2 and the input of pass 3: a resolved, typed program.
//
// Pass 2 turns the parse trees (controller/parse/ast.ts) into this tree:
// aliases and wildcards are expanded into concrete probes against a kernel
// profile, every name is bound to the variable or function it means, and
// every expression carries its inferred type. A code generator can walk it
// without consulting the AST, the tapsets or the profile again:
//
// - each expression has `type` (long, string or stats; never unknown once
//   elaboration succeeded) and `tok` (stap's location for error messages:
//   the token is its own file:line:col, `tok.chain` the macro expansion);
// - a variable reference points at the declaration object itself
//   (GlobalVar, LocalVar, ParamVar or TargetVar): compare by identity;
// - a call points at its FunctionDef; runtime builtins (execname, pid,
//   gettimeofday_ns, ...) have body.kind === 'runtime' with the name of
//   the runtime API operation the generator maps them to;
// - each statistic global lists the aggregates the script asks for.
//
// Nodes are created fresh for every concrete probe (an alias body expanded
// into 300 syscall probes gives 300 bodies), because target variables and
// therefore types differ between them.
import type { SdtOperand } from './sdt-operand.js';
import type { FormatComponent, StatComponent } from '../parse/ast.js';
import type { Token } from '../parse/token.js';
import type { Tracepoint, TracepointField } from '../profile/types.js';
import type { FileIdentity } from '../module/user-files.js';

// ---------------------------------------------------------------- types

/** What an index key or a local can hold. */
export type ScalarType = 'long' | 'string';
/** What an expression or a global element can hold. */
export type ValueType = 'long' | 'string' | 'stats';
/**
 * An expression's type: 'unknown' only on a call to a function that returns
 * nothing (stap's "unknown" return type), used as a statement. Elaboration
 * fails ("unresolved type") wherever else a type stays unknown.
 */
export type ExprType = ValueType | 'unknown';

// ---------------------------------------------------------------- variables

/** Which aggregates of a statistic the script reads (stapbpf keeps only what is asked). */
export interface StatUsage {
	count: boolean;
	sum: boolean;
	min: boolean;
	max: boolean;
	avg: boolean;
	/** `@variance(s, N)`: the bit shift N (0 when @variance is used without one); null when unused. */
	variance: number | null;
	histLog: boolean;
	/** Every distinct `@hist_linear(s, lo, hi, step)` used. */
	histLinear: { lo: bigint; hi: bigint; step: bigint }[];
}

export interface GlobalVar {
	readonly kind: 'global';
	/** As written in the script, e.g. "counts". */
	readonly name: string;
	/** Unique in the program (stap's mangled name), e.g. "__global_counts", "__private_FILE_x". */
	readonly mangledName: string;
	/** Element type for arrays, value type for scalars ('unknown' only while elaborating). */
	type: ValueType | 'unknown';
	/** Index key types; null for a scalar ('unknown' only while elaborating). */
	keys: (ScalarType | 'unknown')[] | null;
	/** `global x = 5` / `global s = "x"`: the initial value (scalars only). */
	readonly init: bigint | string | null;
	/** `global a[N]`: 0 when not given (runtime default, MAXMAPENTRIES). */
	readonly maxSize: number;
	/** `global a%`: overwrite the oldest entry when full. */
	readonly wrap: boolean;
	/** Aggregates read from this statistic (type === 'stats' only). */
	readonly stats: StatUsage | null;
	/** Read anywhere / written anywhere (for warnings and for "dump unread globals at end"). */
	read: boolean;
	written: boolean;
	/** The tapset file that declares it, or null for the user's script. */
	readonly fromTapset: string | null;
	readonly tok: Token;
}

export interface LocalVar {
	readonly kind: 'local';
	readonly name: string;
	/** 'unknown' only while elaborating. */
	type: ScalarType | 'unknown';
	/** Unique within its probe or function (for naming the C field). */
	readonly index: number;
	readonly tok: Token;
}

export interface ParamVar {
	readonly kind: 'param';
	readonly name: string;
	/** 'unknown' only while elaborating. */
	type: ScalarType | 'unknown';
	/** Position in the parameter list. */
	readonly index: number;
	readonly tok: Token;
}

/**
 * A bitfield member: `width` bits from bit `shift` of the `size` bytes read
 * (little-endian), sign-extended when the member's type is signed.
 */
export interface BitField {
	readonly shift: number;
	readonly width: number;
}

/** An argument and the member chain read through it (`$bprm->file->f_flags`). */
export interface ArgumentChain {
	readonly index: number;
	/** The chain is in the probed process's memory (a user-space program's parameter). */
	readonly user?: boolean;
	readonly steps: readonly number[];
	readonly size: number;
	readonly signed: boolean;
	readonly string: boolean;
	readonly bits?: BitField;
}

/** Where a target variable's value comes from at run time. */
export type TargetSource =
	/** A field of the tracepoint record (offset/size/type from the profile's format file). */
	| { readonly kind: 'tracepoint_field'; readonly field: TracepointField; readonly dataLoc: boolean; readonly charArray: boolean }
	/** Argument N (0-based) of a raw syscall (sys_enter's args[N]) or a uprobe/kprobe (pt_regs). */
	| { readonly kind: 'arg'; readonly index: number }
	/**
	 * The return value: sys_exit's ret, or pt_regs of a return probe; a
	 * function's narrower integer type (from BTF or DWARF) as `size` bytes,
	 * `signed`: an int's -1 is -1, not 4294967295.
	 */
	| { readonly kind: 'return_value'; readonly size?: number; readonly signed?: boolean }
	/** The syscall number at raw sys_enter / sys_exit. */
	| { readonly kind: 'syscall_nr' }
	/**
	 * TP_PROTO argument `index` of a tracepoint (kmod), and a member chain:
	 * `steps` are byte offsets added to the argument, with a pointer loaded
	 * between two of them; then `size` bytes (`signed`), or a string (char[]).
	 * No steps: the argument itself.
	 */
	| ({ readonly kind: 'tp_arg' } & ArgumentChain)
	/**
	 * Argument `index` (0-based) of a probed kernel function
	 * (kernel.function("f")), in its calling-convention register at the
	 * kprobe, typed by the target's BTF; a member chain as tp_arg's.
	 */
	| ({ readonly kind: 'call_arg' } & ArgumentChain)
	/** Argument `index` (0-based) of an SDT marker (process("...").mark("...")), where its note says it is. */
	| { readonly kind: 'sdt_arg'; readonly index: number; readonly operand: SdtOperand }
	/**
	 * A procfs probe's $value (procfs.ts): in a read probe the text it
	 * gives (`writable`: assigned and appended to, never read, as stap); in a
	 * write probe the text written (read only).
	 */
	| { readonly kind: 'procfs_value'; readonly writable: boolean };

export interface TargetVar {
	readonly kind: 'target';
	/** With the dollar: "$filename". */
	readonly name: string;
	readonly type: ScalarType;
	/** The C type, e.g. "const char *", "int", for -L listings and for casts. */
	readonly cType: string;
	/** True when the C type is a pointer: `user_string($x)` reads through it. */
	readonly pointer: boolean;
	readonly source: TargetSource;
}

export type Variable = GlobalVar | LocalVar | ParamVar | TargetVar;

// ---------------------------------------------------------------- expressions

interface ExprBase {
	readonly tok: Token;
	type: ExprType;
}

export interface NumberLit extends ExprBase { readonly kind: 'number'; readonly value: bigint }
export interface StringLit extends ExprBase { readonly kind: 'string'; readonly value: string }
/** `%{ code %}` as an expression (guru mode) or `@const`. type from its string/long pragma comment, long by default. */
export interface EmbeddedExpr extends ExprBase { readonly kind: 'embedded_expr'; readonly code: string }

/** + - * / % << >> >>> & | ^ on longs. */
export interface Binary extends ExprBase { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
export interface Logical extends ExprBase { readonly kind: 'logical'; readonly op: '&&' | '||'; readonly left: Expr; readonly right: Expr }
/** < <= > >= == != on two longs or two strings (the operands' type says which); result long. */
export interface Comparison extends ExprBase {
	readonly kind: 'comparison'; readonly op: string; readonly left: Expr; readonly right: Expr;
}
/** `a . b` on strings. */
export interface Concat extends ExprBase { readonly kind: 'concat'; readonly left: Expr; readonly right: Expr }
/** `s =~ "re"`; result long. The pattern is a literal (POSIX ERE). */
export interface RegexMatch extends ExprBase { readonly kind: 'regex'; readonly negated: boolean; readonly left: Expr; readonly pattern: string }
/** - ! ~ + on a long. */
export interface Unary extends ExprBase { readonly kind: 'unary'; readonly op: string; readonly operand: Expr }
/** ++x, x--, ... on a long lvalue. */
export interface Crement extends ExprBase {
	readonly kind: 'crement'; readonly op: '++' | '--'; readonly prefix: boolean; readonly target: LValue;
}
export interface Ternary extends ExprBase { readonly kind: 'ternary'; readonly cond: Expr; readonly then: Expr; readonly otherwise: Expr }

/**
 * `x = v`, `x += v`, `x .= v`, `s <<< v` (op "<<<": v is added to the statistic `target`).
 * The value of the expression is the new value of the target (for "<<<", v).
 */
export interface Assign extends ExprBase { readonly kind: 'assign'; readonly op: string; readonly target: LValue; readonly value: Expr }

/** A scalar variable: global, local, parameter, or target variable. */
export interface VarRef extends ExprBase { readonly kind: 'var'; readonly variable: Variable }
/** `a[k1, k2]`: one element of a global array. */
export interface IndexRef extends ExprBase { readonly kind: 'index'; readonly array: GlobalVar; readonly keys: Expr[] }
/** `[k1, k2] in a`; a null key is `*` (any). Result long. */
export interface InArray extends ExprBase { readonly kind: 'in'; readonly array: GlobalVar; readonly keys: (Expr | null)[] }

export interface Call extends ExprBase { readonly kind: 'call'; readonly callee: FunctionDef; readonly args: Expr[] }
/**
 * `@cast(base, "T")->a->b` (controller/elaborate/cast.ts): `steps[0]` is
 * added to base; before each further step the pointer there is loaded.
 * Then `size` bytes are read (sign-extended when `signed`), or a string
 * (`string`), or nothing: with `addressOf`, the value is the address.
 */
export interface MemberRead extends ExprBase {
	readonly kind: 'member';
	readonly base: Expr;
	readonly steps: readonly number[];
	readonly size: number;
	readonly signed: boolean;
	readonly string: boolean;
	readonly bits?: BitField;
	readonly addressOf: boolean;
}

/** print/printf/println/sprint/sprintf/... with the format already parsed into components. */
export interface PrintCall extends ExprBase {
	readonly kind: 'print';
	/** As written: "printf", "sprintln", ... */
	readonly name: string;
	/** false for the s-forms (sprint, sprintf, ...), which return a string instead of printing. */
	readonly toStream: boolean;
	/** printf/sprintf: the components; otherwise null. */
	readonly format: FormatComponent[] | null;
	/**
	 * printf/sprintf: the format as written, escapes and all. stap's runtime
	 * parses it again, every flag in a loop, so `%#06x` keeps its 0 flag, which
	 * the components (one flag each, as stap's parser keeps) lose.
	 */
	readonly rawFormat?: string;
	/** print_char / printd / printdln: the delimiter for printd. */
	readonly delimiter: string | null;
	readonly newline: boolean;
	readonly args: Expr[];
	/** `print(@hist_log(s))`: the histogram to draw. */
	readonly hist: HistExpr | null;
}

/** `@count(s)`, `@sum(s)`, ..., `@variance(s, N)`: long. `stat` has type stats (a global or an element). */
export interface StatExpr extends ExprBase {
	readonly kind: 'stat';
	readonly aggregate: StatComponent;
	readonly stat: VarRef | IndexRef;
	/** @variance's shift, if given. */
	readonly params: bigint[];
}

/** `@hist_log(s)` / `@hist_linear(s, lo, hi, step)`: only inside print or as `@hist_x(s)[bucket]`. */
export interface HistExpr extends ExprBase {
	readonly kind: 'hist';
	readonly htype: 'log' | 'linear';
	readonly stat: VarRef | IndexRef;
	readonly params: bigint[];
}

/** `@hist_log(s)[i]`: the count of bucket i. */
export interface HistBucket extends ExprBase { readonly kind: 'hist_bucket'; readonly hist: HistExpr; readonly bucket: Expr }

export type LValue = VarRef | IndexRef;

export type Expr =
	| NumberLit | StringLit | EmbeddedExpr | Binary | Logical | Comparison | Concat | RegexMatch | MemberRead
	| Unary | Crement | Ternary | Assign | VarRef | IndexRef | InArray | Call | PrintCall
	| StatExpr | HistExpr | HistBucket;

// ---------------------------------------------------------------- statements

interface StmtBase { readonly tok: Token }

export interface Block extends StmtBase { readonly kind: 'block'; readonly statements: Stmt[] }
export interface TryStmt extends StmtBase { readonly kind: 'try'; readonly body: Block; readonly errorVar: LocalVar | null; readonly handler: Block }
export interface EmbeddedStmt extends StmtBase { readonly kind: 'embedded'; readonly code: string }
export interface ExprStmt extends StmtBase { readonly kind: 'expr'; readonly expr: Expr }
export interface IfStmt extends StmtBase { readonly kind: 'if'; readonly cond: Expr; readonly then: Stmt; readonly otherwise: Stmt | null }
/** for and while (no init/incr). */
export interface ForStmt extends StmtBase { readonly kind: 'for'; readonly init: Expr | null; readonly cond: Expr; readonly incr: Expr | null; readonly body: Stmt }
export interface ForeachStmt extends StmtBase {
	readonly kind: 'foreach';
	/** The array iterated over, or a histogram's buckets. */
	readonly array: GlobalVar | HistExpr;
	/** One local per key (for a histogram: the bucket index). */
	readonly keyVars: LocalVar[];
	/** `foreach (v = [k] in a)`. */
	readonly valueVar: LocalVar | null;
	/** `foreach ([k] in a[1, *])`: null entries are `*`; empty when not sliced. */
	readonly slice: (Expr | null)[];
	/** 1 ascending, -1 descending, 0 unsorted. */
	readonly sortDirection: -1 | 0 | 1;
	/** 0: by value; i >= 1: by key i. */
	readonly sortColumn: number;
	/** Sorting statistics by value: which aggregate (default @count). */
	readonly sortAggregate: StatComponent | null;
	readonly limit: Expr | null;
	readonly body: Stmt;
}
export interface ReturnStmt extends StmtBase { readonly kind: 'return'; readonly value: Expr | null }
/** `delete a[k]`, `delete a` (whole array), `delete x` (reset a scalar). */
/**
 * `delete a[1, *]` (stap 4.8): the IndexRef's keys hold null for each
 * wildcard, and the statement deletes every element matching the others.
 */
export interface DeleteStmt extends StmtBase {
	readonly kind: 'delete';
	readonly target: VarRef | IndexRef | { readonly kind: 'array'; readonly array: GlobalVar; readonly tok: Token };
}
export interface JumpStmt extends StmtBase { readonly kind: 'next' | 'break' | 'continue' }
export interface NullStmt extends StmtBase { readonly kind: 'null' }

export type Stmt = Block | TryStmt | EmbeddedStmt | ExprStmt | IfStmt | ForStmt | ForeachStmt | ReturnStmt | DeleteStmt | JumpStmt | NullStmt;

// ---------------------------------------------------------------- functions

export type FunctionBody =
	/** Written in the script language (user script or our tapsets). */
	| { readonly kind: 'script'; readonly block: Block; readonly locals: LocalVar[] }
	/** `%{ C %}` (guru mode / privileged tapsets): the generator pastes it. */
	| { readonly kind: 'embedded'; readonly code: string }
	/** Implemented by the runtime (runtime-c): `operation` names the runtime API entry, e.g. "execname". */
	| { readonly kind: 'runtime'; readonly operation: string };

export interface FunctionDef {
	/** As called, e.g. "execname". */
	readonly name: string;
	/** Unique in the program, e.g. "__global_execname__overload_0". */
	readonly mangledName: string;
	readonly params: ParamVar[];
	/** Return type; 'unknown': returns nothing. */
	returnType: ScalarType | 'unknown';
	readonly body: FunctionBody;
	/** The tapset file that defines it, or null for the user's script. */
	readonly fromTapset: string | null;
	readonly tok: Token;
}

// ---------------------------------------------------------------- probes

/** The event a concrete probe attaches to. */
export type ProbeEvent =
	/** begin(N)/end(N)/error(N): user-space handlers, ordered by priority then by declaration order. */
	| { readonly kind: 'begin' | 'end' | 'error'; readonly priority: bigint }
	/** never: elaborated, never run. */
	| { readonly kind: 'never' }
	/** tracefs tracepoint; syscalls:sys_enter_X / sys_exit_X for syscall.* probes. */
	| { readonly kind: 'tracepoint'; readonly system: string; readonly event: string; readonly tracepoint: Tracepoint }
	/** raw tracepoint (sys_enter / sys_exit for syscall_any): args via pt_regs / syscall number. */
	| { readonly kind: 'raw_tracepoint'; readonly event: string }
	/** uprobe/uretprobe on an ELF symbol of a binary or library. */
	| {
		readonly kind: 'uprobe'; readonly path: string; readonly symbol: string; readonly offset: bigint; readonly isReturn: boolean;
		/** Which build of the file the offset is in (its build-id, or hash): the manifest's userFiles. */
		readonly file?: FileIdentity;
		/** An SDT marker's semaphore (file offset), counted up by the kernel while the uprobe is attached; absent: none. */
		readonly semaphore?: bigint;
	}
	/** kprobe/kretprobe (kmod runtime, or bpf where the target has kprobes). */
	| { readonly kind: 'kprobe'; readonly symbol: string; readonly offset: bigint; readonly isReturn: boolean }
	/** perf_event_open: type/config as the kernel's uapi; one of period or frequency. */
	| { readonly kind: 'perf'; readonly type: number; readonly config: bigint; readonly samplePeriod: bigint | null; readonly sampleFrequency: bigint | null; readonly process: string | null }
	/** timer.ns/us/ms/s/hz/jiffies: an interval timer; randomize adds uniform jitter of ±randomizeNs. */
	| { readonly kind: 'timer'; readonly intervalNs: bigint; readonly randomizeNs: bigint }
	/** timer.profile: on every CPU at the scheduler tick rate (perf cpu-clock per CPU). */
	| { readonly kind: 'profile' }
	/**
	 * procfs("PATH").read / .write: a file of the module's (procfs.ts); umask
	 * null: stap's default modes; maxsize null: STP_PROCFS_BUFSIZE.
	 */
	| { readonly kind: 'procfs'; readonly path: string; readonly write: boolean; readonly umask: number | null; readonly maxsize: number | null };

export interface ConcreteProbe {
	/** Dense index, in stap's order (declaration order, then expansion order). */
	readonly index: number;
	/** The concrete probe point as stap's pp() shows it, e.g. 'kernel.trace("syscalls:sys_enter_openat")'. */
	readonly point: string;
	/** The probe point the user wrote, e.g. "syscall.*". */
	readonly written: string;
	/** What the written point matched, wildcards filled in, e.g. "syscall.read" (what `tapfleet list` prints). */
	readonly named: string;
	/** Alias chain from the user's point to the concrete one, outermost first. */
	readonly derivation: string[];
	readonly event: ProbeEvent;
	/** `probe X if (cond)`: evaluated before the body; the body runs only when non-zero. */
	readonly condition: Expr | null;
	/** Alias prologues, the user's body, alias epilogues: already spliced in order. */
	readonly body: Block;
	readonly locals: LocalVar[];
	/** Target variables the body uses (each read at probe entry). */
	readonly targetVars: TargetVar[];
	readonly tok: Token;
}

// ---------------------------------------------------------------- the program

export interface Program {
	/** Globals in stap's -p2 order (script globals first, then the tapsets' used ones). */
	readonly globals: GlobalVar[];
	/** Only the functions reachable from the probes. */
	readonly functions: FunctionDef[];
	readonly probes: ConcreteProbe[];
	/** Top-level `%{ %}` blocks, in order. */
	readonly embeds: string[];
	/** Build-id of the profile resolved against. */
	readonly buildId: string;
}
