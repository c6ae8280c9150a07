// The parse tree, mirroring SystemTap's staptree.h as the parser builds it.
// Discriminated unions on `kind`; every node keeps the token it came from
// (`tok.file`, `tok.line`, `tok.column` locate it, `tok.chain` the macro expansion, if any).
import type { SourceFile } from './source.js';
import type { Token } from './token.js';

interface Node {
	readonly tok: Token;
}

// ---------------------------------------------------------------- expressions

export interface LiteralString extends Node {
	readonly kind: 'literal_string';
	/** The string body with stap's escape handling (known escapes keep their backslash). */
	readonly value: string;
}

export interface LiteralNumber extends Node {
	readonly kind: 'literal_number';
	/** Signed 64-bit value (literals up to 2^64-1 wrap, as in stap). */
	readonly value: bigint;
}

export type Literal = LiteralString | LiteralNumber;

/** `%{ code %}` used as an expression (guru mode), or `@const("...")`. */
export interface EmbeddedExpr extends Node {
	readonly kind: 'embedded_expr';
	readonly code: string;
}

/** Arithmetic and bitwise binary operators: + - * / % << >> >>> & | ^ */
export interface BinaryExpression extends Node {
	readonly kind: 'binary';
	readonly op: string;
	readonly left: Expression;
	readonly right: Expression;
}

export interface LogicalExpression extends Node {
	readonly kind: 'logical_or' | 'logical_and';
	readonly op: '||' | '&&';
	readonly left: Expression;
	readonly right: Expression;
}

export interface Comparison extends Node {
	readonly kind: 'comparison';
	readonly op: string;
	readonly left: Expression;
	readonly right: Expression;
}

export interface Concatenation extends Node {
	readonly kind: 'concatenation';
	readonly op: '.';
	readonly left: Expression;
	readonly right: Expression;
}

/** = <<< += -= *= /= %= <<= >>= &= ^= |= .= */
export interface Assignment extends Node {
	readonly kind: 'assignment';
	readonly op: string;
	readonly left: Expression;
	readonly right: Expression;
}

/** `left =~ "regex"` / `left !~ "regex"` */
export interface RegexQuery extends Node {
	readonly kind: 'regex_query';
	readonly op: '=~' | '!~';
	readonly left: Expression;
	readonly right: LiteralString;
}

export interface UnaryExpression extends Node {
	readonly kind: 'unary' | 'pre_crement' | 'post_crement';
	readonly op: string;
	readonly operand: Expression;
}

export interface TernaryExpression extends Node {
	readonly kind: 'ternary';
	readonly cond: Expression;
	readonly truevalue: Expression;
	readonly falsevalue: Expression;
}

export interface ArrayIn extends Node {
	readonly kind: 'array_in';
	readonly operand: ArrayIndex;
}

export interface SymbolRef extends Node {
	readonly kind: 'symbol';
	readonly name: string;
}

export type TargetSymbolComponent =
	| { readonly kind: 'struct_member'; readonly tok: Token; readonly member: string }
	| { readonly kind: 'pretty_print'; readonly tok: Token; readonly member: string }
	| { readonly kind: 'literal_index'; readonly tok: Token; readonly index: bigint }
	| { readonly kind: 'expression_index'; readonly tok: Token; readonly index: Expression };

interface TargetSymbolBase extends Node {
	addressof: boolean;
	components: TargetSymbolComponent[];
}

/** `$var`, `$var->member[3]`, `$$vars`, `$var$` */
export interface TargetSymbol extends TargetSymbolBase {
	readonly kind: 'target_symbol';
	name: string;
}

/** `@cast(expr, "type" [, "module"])` */
export interface CastOp extends TargetSymbolBase {
	readonly kind: 'cast_op';
	readonly name: '@cast';
	readonly operand: Expression;
	readonly typeName: string;
	readonly module: string;
}

/** `@var("name[@cu]" [, "module"])` */
export interface AtVarOp extends TargetSymbolBase {
	readonly kind: 'atvar_op';
	readonly name: '@var';
	readonly targetName: string;
	readonly cuName: string;
	readonly module: string;
}

/** `expr->member`, `&expr`: a target-symbol suffix on an arbitrary expression. */
export interface AutocastOp extends TargetSymbolBase {
	readonly kind: 'autocast_op';
	readonly operand: Expression;
}

export type TargetSymbolLike = TargetSymbol | CastOp | AtVarOp | AutocastOp;

export interface DefinedOp extends Node {
	readonly kind: 'defined_op';
	readonly operand: Expression;
}

export interface ProbewriteOp extends Node {
	readonly kind: 'probewrite_op';
	readonly name: string;
}

export interface EntryOp extends Node {
	readonly kind: 'entry_op';
	readonly operand: Expression;
}

export interface PerfOp extends Node {
	readonly kind: 'perf_op';
	readonly operand: LiteralString;
}

/** `@kregister(N)` / `@uregister(N)` */
export interface TargetRegister extends Node {
	readonly kind: 'target_register';
	readonly userspace: boolean;
	readonly regno: bigint;
}

/** `@kderef(SIZE, addr)` / `@uderef(SIZE, addr)` */
export interface TargetDeref extends Node {
	readonly kind: 'target_deref';
	readonly userspace: boolean;
	readonly size: bigint;
	readonly addr: Expression;
}

/** `base[i, j]`; a null index is a `*` wildcard (slices, `[*] in a`). */
export interface ArrayIndex extends Node {
	readonly kind: 'arrayindex';
	readonly base: SymbolRef | HistOp;
	readonly indexes: (Expression | null)[];
}

export interface FunctionCall extends Node {
	readonly kind: 'functioncall';
	readonly function: string;
	readonly args: Expression[];
}

export type PrintFormatConversion =
	| 'literal' | 'binary' | 'char' | 'number' | 'pointer' | 'string' | 'memory' | 'memory_hex';

/** One piece of a printf format: literal text or a conversion. */
export interface FormatComponent {
	readonly type: PrintFormatConversion;
	readonly literal: string;
	readonly flags: { zeropad: boolean; plus: boolean; space: boolean; left: boolean; special: boolean; sign: boolean; large: boolean };
	readonly width: number | '*' | null;
	readonly precision: number | '*' | null;
	readonly base: number;
}

/** print, println, printd, printdln, printf, print_char and their s- (string) forms. */
export interface PrintFormat extends Node {
	readonly kind: 'print_format';
	/** The function name as written, e.g. "printf". */
	readonly printFormatType: string;
	readonly printToStream: boolean;
	readonly printWithFormat: boolean;
	readonly printWithDelim: boolean;
	readonly printWithNewline: boolean;
	readonly printChar: boolean;
	rawComponents: string;
	components: FormatComponent[];
	delimiter: string;
	args: Expression[];
	hist: HistOp | null;
}

export type StatComponent = 'avg' | 'count' | 'sum' | 'min' | 'max' | 'variance';

/** `@avg(s)`, `@count(s)`, ..., `@variance(s [, N])` */
export interface StatOp extends Node {
	readonly kind: 'stat_op';
	readonly ctype: StatComponent;
	readonly stat: Expression;
	readonly params: bigint[];
}

/** `@hist_linear(s, lo, hi, step)` / `@hist_log(s)` */
export interface HistOp extends Node {
	readonly kind: 'hist_op';
	readonly htype: 'linear' | 'log';
	readonly stat: Expression;
	readonly params: bigint[];
}

export type Expression =
	| LiteralString | LiteralNumber | EmbeddedExpr
	| BinaryExpression | LogicalExpression | Comparison | Concatenation | Assignment | RegexQuery
	| UnaryExpression | TernaryExpression | ArrayIn | SymbolRef
	| TargetSymbol | CastOp | AtVarOp | AutocastOp
	| DefinedOp | ProbewriteOp | EntryOp | PerfOp | TargetRegister | TargetDeref
	| ArrayIndex | FunctionCall | PrintFormat | StatOp | HistOp;

// ---------------------------------------------------------------- statements

export interface Block extends Node {
	readonly kind: 'block';
	readonly statements: Statement[];
}

export interface TryBlock extends Node {
	readonly kind: 'try_block';
	readonly tryBlock: Block;
	readonly catchErrorVar: SymbolRef | null;
	readonly catchBlock: Block;
}

/** `%{ ... %}` at top level or as a function body (guru mode). */
export interface EmbeddedCode extends Node {
	readonly kind: 'embeddedcode';
	readonly code: string;
}

export interface NullStatement extends Node {
	readonly kind: 'null_statement';
}

export interface ExprStatement extends Node {
	readonly kind: 'expr_statement';
	readonly value: Expression;
}

export interface IfStatement extends Node {
	readonly kind: 'if_statement';
	readonly condition: Expression;
	readonly thenblock: Statement;
	readonly elseblock: Statement | null;
}

/** `for (init; cond; incr)`, and `while (cond)` with no init and incr. */
export interface ForLoop extends Node {
	readonly kind: 'for_loop';
	readonly init: ExprStatement | null;
	readonly cond: Expression;
	readonly incr: ExprStatement | null;
	readonly block: Statement;
}

export interface ForeachLoop extends Node {
	readonly kind: 'foreach_loop';
	/** `foreach (v = [k] in a)`: the value variable. */
	value: SymbolRef | null;
	readonly indexes: SymbolRef[];
	base: SymbolRef | HistOp;
	/** `foreach ([k] in a[1, *])`; null entries are `*`. */
	readonly arraySlice: (Expression | null)[];
	/** 1 ascending, -1 descending, 0 unsorted. */
	sortDirection: -1 | 0 | 1;
	/** 0: by value; i: by the i-th index. */
	sortColumn: number;
	/** With a by-value sort on statistics: which aggregate to sort by. */
	sortAggr: StatComponent | null;
	limit: Expression | null;
	block: Statement;
}

export interface ReturnStatement extends Node {
	readonly kind: 'return_statement';
	readonly value: Expression | null;
}

export interface DeleteStatement extends Node {
	readonly kind: 'delete_statement';
	readonly value: Expression;
}

export interface SimpleStatement extends Node {
	readonly kind: 'next_statement' | 'break_statement' | 'continue_statement';
}

export type Statement =
	| Block | TryBlock | EmbeddedCode | NullStatement | ExprStatement | IfStatement
	| ForLoop | ForeachLoop | ReturnStatement | DeleteStatement | SimpleStatement;

// ---------------------------------------------------------------- declarations

export type ExpType = 'unknown' | 'long' | 'string' | 'stats';

export interface VarDecl extends Node {
	readonly kind: 'vardecl';
	/** Mangled name: `__global_x`, `__private_FILE_x`, or a parameter's plain name. */
	readonly name: string;
	readonly unmangledName: string;
	type: ExpType;
	/** `global x%`: wrap around when full. */
	wrap: boolean;
	/** `global x[N]`, 0 if unspecified. */
	maxsize: number;
	/** -1 unknown, 0 scalar (set by an initialiser). */
	arity: number;
	init: Literal | null;
	readonly isPrivate: boolean;
	/** The `systemtap_v` condition the declaration was under, if any. */
	readonly systemtapVConditional: Token | null;
}

export interface FunctionDecl extends Node {
	readonly kind: 'functiondecl';
	/** Mangled: `__global_f__overload_0`. */
	readonly name: string;
	readonly unmangledName: string;
	type: ExpType;
	readonly formalArgs: VarDecl[];
	body: Block | EmbeddedCode;
	/** 0 for user-script functions without a priority (they override the library), else >= 1. */
	priority: bigint;
	readonly isPrivate: boolean;
	systemtapVConditional: Token | null;
}

export interface ProbePointComponent {
	readonly tok: Token;
	/** The name, globs included: `function`, `sys_*`, `**`. */
	readonly functor: string;
	arg: Literal | null;
}

export interface ProbePoint {
	readonly components: ProbePointComponent[];
	/** `?`: optional; `!`: sufficient (implies optional). */
	optional: boolean;
	sufficient: boolean;
	condition: Expression | null;
	/** For tapsets under a PATH directory: the file, to resolve relative process paths. */
	autoPath: string | null;
}

export interface Probe extends Node {
	readonly kind: 'probe';
	readonly locations: ProbePoint[];
	readonly body: Block;
	readonly privileged: boolean;
	readonly systemtapVConditional: Token | null;
}

export interface ProbeAlias extends Node {
	readonly kind: 'probe_alias';
	readonly aliasNames: ProbePoint[];
	readonly locations: ProbePoint[];
	readonly body: Block;
	/** `+=`: the body runs after the aliased probe's. */
	readonly epilogueStyle: boolean;
	/** `probe a = b { prologue }, { epilogue }` */
	readonly body2: Block | null;
	readonly privileged: boolean;
	readonly systemtapVConditional: Token | null;
}

export interface StapFile {
	readonly file: SourceFile;
	readonly probes: Probe[];
	readonly aliases: ProbeAlias[];
	readonly functions: FunctionDecl[];
	readonly globals: VarDecl[];
	readonly embeds: EmbeddedCode[];
	readonly privileged: boolean;
}
