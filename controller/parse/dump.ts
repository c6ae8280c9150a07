// The parse-tree dump of `stap -p1`, byte for byte as staptree.cxx's print
// methods write it.
import type {
	Expression, FunctionDecl, Literal, Probe, ProbeAlias, ProbePoint, StapFile, Statement, TargetSymbolComponent,
	TargetSymbolLike, VarDecl,
} from './ast.js';
import { quoteString } from './lexer.js';

/** The whole `stap -p1` output for the given user files. */
export function dumpParseTree(files: readonly StapFile[]): string {
	let out = '# parse tree dump\n';
	for (const f of files) out += dumpFile(f);
	return out + '\n';
}

export function dumpFile(f: StapFile): string {
	let o = `# file ${f.file.name}\n`;
	for (const e of f.embeds) o += `%{${e.code}%}`;
	for (const g of f.globals) o += `global ${vardecl(g)}\n`;
	for (const a of f.aliases) o += alias(a) + '\n';
	for (const p of f.probes) o += probe(p) + '\n';
	for (const fn of f.functions) o += functiondecl(fn) + '\n';
	return o;
}

function vardecl(v: VarDecl): string {
	let o = v.unmangledName !== '' ? v.unmangledName : v.name;
	if (v.wrap) o += '%';
	if (v.maxsize > 0) o += `[${v.maxsize}]`;
	if (v.arity > 0) o += '[...]';
	if (v.init) o += ' = ' + literal(v.init);
	return o;
}

function functiondecl(f: FunctionDecl): string {
	return `function ${f.unmangledName} (${f.formalArgs.map(vardecl).join(', ')})\n` + statement(f.body);
}

function probe(p: Probe): string {
	return 'probe ' + p.locations.map((l) => probePoint(l, true)).join(',') + statement(p.body);
}

function alias(a: ProbeAlias): string {
	return 'probe ' + a.aliasNames.map((n) => probePoint(n, true)).join(' = ')
		+ (a.epilogueStyle ? ' += ' : ' = ')
		+ a.locations.map((l) => probePoint(l, true)).join(', ')
		+ statement(a.body);
}

export function probePoint(pp: ProbePoint, extras: boolean): string {
	let o = pp.components.map((c) => (c.arg ? `${c.functor}(${literal(c.arg)})` : c.functor)).join('.');
	if (!extras) return o;
	if (pp.sufficient) o += '!';
	else if (pp.optional) o += '?';
	if (pp.condition) o += ` if (${expression(pp.condition)})`;
	return o;
}

function literal(l: Literal): string {
	return l.kind === 'literal_string' ? `"${l.value.replace(/"/g, '\\"')}"` : l.value.toString();
}

export function statement(s: Statement): string {
	switch (s.kind) {
		case 'block': {
			let o = '{\n';
			for (const st of s.statements) o += statement(st) + ';\n';
			return o + '}';
		}
		case 'embeddedcode': return `%{${s.code}%}`;
		case 'try_block':
			return `try {\n${statement(s.tryBlock)}\n} catch ${s.catchErrorVar ? `(${s.catchErrorVar.name}) ` : ''}{\n`
				+ `${statement(s.catchBlock)}\n}\n`;
		case 'for_loop':
			return `for (${s.init ? statement(s.init) : ''}; ${expression(s.cond)}; ${s.incr ? statement(s.incr) : ''}) `
				+ statement(s.block);
		case 'foreach_loop': {
			let o = 'foreach (';
			if (s.value) o += s.value.name + ' = ';
			o += '[';
			s.indexes.forEach((ix, i) => {
				if (i > 0) o += ', ';
				o += ix.name;
				if (s.sortDirection !== 0 && s.sortColumn === i + 1) o += s.sortDirection > 0 ? '+' : '-';
			});
			o += '] in ' + expression(s.base);
			if (s.arraySlice.length > 0) o += `[${s.arraySlice.map((e) => (e ? expression(e) : '*')).join(', ')}]`;
			if (s.sortDirection !== 0 && s.sortColumn === 0) {
				if (s.sortAggr && s.sortAggr !== 'variance') o += ' @' + s.sortAggr;
				o += s.sortDirection > 0 ? '+' : '-';
			}
			if (s.limit) o += ' limit ' + expression(s.limit);
			return o + ') ' + statement(s.block);
		}
		case 'null_statement': return ';';
		case 'expr_statement': return expression(s.value);
		case 'return_statement': return s.value ? 'return ' + expression(s.value) : 'return';
		case 'delete_statement': return 'delete ' + expression(s.value);
		case 'next_statement': return 'next';
		case 'break_statement': return 'break';
		case 'continue_statement': return 'continue';
		case 'if_statement':
			return `if (${expression(s.condition)}) ${statement(s.thenblock)}\n`
				+ (s.elseblock ? `else ${statement(s.elseblock)}\n` : '');
	}
}

type BinaryLike = Extract<Expression, { left: Expression; right: Expression }>;
const BINARY_KINDS = new Set(['binary', 'logical_or', 'logical_and', 'comparison', 'concatenation', 'assignment']);

/**
 * `(left) op (right)`, walking the left spine in a loop: a chain like
 * a+b+c+... is as deep as it is long, and must not exhaust the stack.
 */
function binaryChain(top: BinaryLike): string {
	const spine: BinaryLike[] = [];
	let e: Expression = top;
	while (BINARY_KINDS.has(e.kind)) {
		spine.push(e as BinaryLike);
		e = (e as BinaryLike).left;
	}
	let o = expression(e);
	for (let i = spine.length - 1; i >= 0; i--) o = `(${o}) ${spine[i]!.op} (${expression(spine[i]!.right)})`;
	return o;
}

function component(c: TargetSymbolComponent): string {
	switch (c.kind) {
		case 'struct_member':
		case 'pretty_print': return '->' + c.member;
		case 'literal_index': return `[${c.index}]`;
		case 'expression_index': return `[${expression(c.index)}]`;
	}
}

function targetSymbolSuffix(e: TargetSymbolLike): string {
	return e.components.map(component).join('');
}

export function expression(e: Expression): string {
	switch (e.kind) {
		case 'literal_string':
		case 'literal_number': return literal(e);
		case 'embedded_expr': return `%{ ${e.code} %}`;
		case 'binary':
		case 'logical_or':
		case 'logical_and':
		case 'comparison':
		case 'concatenation':
		case 'assignment': return binaryChain(e);
		case 'regex_query': return `(${expression(e.left)}) ${e.op} ${literal(e.right)}`;
		case 'unary':
		case 'pre_crement': return `${e.op}(${expression(e.operand)})`;
		case 'post_crement': return `(${expression(e.operand)})${e.op}`;
		case 'ternary': return `(${expression(e.cond)})?(${expression(e.truevalue)}):(${expression(e.falsevalue)})`;
		case 'array_in':
			return `[${e.operand.indexes.map((i) => (i ? expression(i) : '*')).join(', ')}] in ${expression(e.operand.base)}`;
		case 'symbol': return e.name;
		case 'target_symbol': return (e.addressof ? '&' : '') + e.name + targetSymbolSuffix(e);
		case 'atvar_op':
			return (e.addressof ? '&' : '') + `${e.name}("${e.targetName}"`
				+ (e.module !== '' ? ', ' + quoteString(e.module) : '') + ')' + targetSymbolSuffix(e);
		case 'cast_op':
			return (e.addressof ? '&' : '') + `${e.name}(${expression(e.operand)}, ${quoteString(e.typeName)}`
				+ (e.module !== '' ? ', ' + quoteString(e.module) : '') + ')' + targetSymbolSuffix(e);
		case 'autocast_op': return (e.addressof ? '&' : '') + `(${expression(e.operand)})` + targetSymbolSuffix(e);
		case 'defined_op': return `@defined(${expression(e.operand)})`;
		case 'probewrite_op': return `@probewrite(${e.name})`;
		case 'entry_op': return `@entry(${expression(e.operand)})`;
		case 'perf_op': return `@perf(${literal(e.operand)})`;
		case 'target_register': return `@${e.userspace ? 'u' : 'k'}register(${e.regno})`;
		case 'target_deref': return `@${e.userspace ? 'u' : 'k'}deref(${e.size}, ${expression(e.addr)})`;
		case 'arrayindex':
			return `${expression(e.base)}[${e.indexes.map((i) => (i ? expression(i) : '*')).join(', ')}]`;
		case 'functioncall': return `${e.function}(${e.args.map(expression).join(', ')})`;
		case 'print_format': {
			let o = e.printFormatType + '(';
			if (e.printWithFormat) o += quoteString(e.rawComponents);
			if (e.printWithDelim) o += quoteString(e.delimiter);
			if (e.hist) o += expression(e.hist);
			e.args.forEach((a, i) => {
				if (i > 0 || e.printWithFormat || e.printWithDelim) o += ', ';
				o += expression(a);
			});
			return o + ')';
		}
		case 'stat_op':
			return `@${e.ctype}(${expression(e.stat)}` + (e.ctype === 'variance' && e.params.length === 1 ? `, ${e.params[0]}` : '') + ')';
		case 'hist_op':
			return e.htype === 'linear'
				? `@hist_linear(${expression(e.stat)}${e.params.map((p) => ', ' + p).join('')})`
				: `@hist_log(${expression(e.stat)})`;
	}
}
