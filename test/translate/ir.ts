// Small constructors for pass 2's output (controller/elaborate/program.ts),
// so pass 3 can be tested on exactly the program it is given.
import type { Block, ConcreteProbe, Expr, FunctionDef, GlobalVar, LocalVar, Program, ProbeEvent, Stmt, TargetVar } from '../../controller/elaborate/program.js';
import { parseFormatString } from '../../controller/parse/print-format.js';
import type { SourceFile } from '../../controller/parse/source.js';
import type { Token, TokenType } from '../../controller/parse/token.js';

const file: SourceFile = { name: '<input>', contents: '', synthetic: false };

export function tok(content: string, type: TokenType = 'identifier', line = 1, column = 1): Token {
	return { type, content, file, line, column, chain: null, junk: null };
}

export const num = (v: bigint | number): Expr => ({ kind: 'number', value: BigInt(v), type: 'long', tok: tok(String(v), 'number') });
export const str = (v: string): Expr => ({ kind: 'string', value: v, type: 'string', tok: tok(v, 'string') });
export const ref = (v: GlobalVar | LocalVar | TargetVar): Expr => ({ kind: 'var', variable: v, type: v.type, tok: tok(v.name) });
export const at = (a: GlobalVar, ...keys: Expr[]): Extract<Expr, { kind: 'index' }> => ({ kind: 'index', array: a, keys, type: a.type, tok: tok(a.name) });
export const stmt = (e: Expr): Stmt => ({ kind: 'expr', expr: e, tok: e.tok });
export const block = (...statements: Stmt[]): Block => ({ kind: 'block', statements, tok: tok('{', 'operator') });
export const assign = (op: string, target: Extract<Expr, { kind: 'var' | 'index' }>, value: Expr): Expr => ({ kind: 'assign', op, target, value, type: target.type, tok: tok(op, 'operator') });
export const binary = (op: string, left: Expr, right: Expr, line = 1, column = 1): Expr => ({ kind: 'binary', op, left, right, type: 'long', tok: tok(op, 'operator', line, column) });

export function printf(fmt: string, ...args: Expr[]): Expr {
	return { kind: 'print', name: 'printf', toStream: true, format: parseFormatString(fmt), delimiter: null, newline: false, args, hist: null, type: 'long', tok: tok('printf') };
}

export function println(...args: Expr[]): Expr {
	return { kind: 'print', name: 'println', toStream: true, format: null, delimiter: null, newline: true, args, hist: null, type: 'long', tok: tok('println') };
}

export function builtin(name: string, returnType: 'long' | 'string' | 'unknown', params: ('long' | 'string')[] = []): FunctionDef {
	return {
		name, mangledName: name, returnType, fromTapset: 'builtin', tok: tok(name),
		params: params.map((type, index) => ({ kind: 'param', name: `p${index}`, type, index, tok: tok(`p${index}`) })),
		body: { kind: 'runtime', operation: name },
	};
}

export const call = (f: FunctionDef, ...args: Expr[]): Expr => ({ kind: 'call', callee: f, args, type: f.returnType, tok: tok(f.name) });

export function global(name: string, type: GlobalVar['type'], keys: GlobalVar['keys'] = null, extra: Partial<GlobalVar> = {}): GlobalVar {
	return { kind: 'global', name, mangledName: `__global_${name}`, type, keys, init: null, maxSize: 0, wrap: false, stats: null, read: true, written: true, fromTapset: null, tok: tok(name), ...extra };
}

export function local(name: string, type: 'long' | 'string', index: number): LocalVar {
	return { kind: 'local', name, type, index, tok: tok(name) };
}

export function probe(index: number, point: string, event: ProbeEvent, body: Block, locals: LocalVar[] = [], targetVars: TargetVar[] = []): ConcreteProbe {
	return { index, point, written: point, named: point, derivation: [], event, condition: null, body, locals, targetVars, tok: tok('probe', 'keyword') };
}

export const begin: ProbeEvent = { kind: 'begin', priority: 0n };
export const end: ProbeEvent = { kind: 'end', priority: 0n };

export function program(globals: GlobalVar[], probes: ConcreteProbe[]): Program {
	return { globals, functions: [], probes, embeds: [], buildId: 'test' };
}

/** for (i = 0; i < n; i++) body */
export function countingLoop(i: LocalVar, n: number, body: Stmt): Stmt {
	const iv = ref(i) as Extract<Expr, { kind: 'var' }>;
	return {
		kind: 'for', tok: tok('for', 'keyword'),
		init: assign('=', iv, num(0)),
		cond: { kind: 'comparison', op: '<', left: iv, right: num(n), type: 'long', tok: tok('<', 'operator') },
		incr: { kind: 'crement', op: '++', prefix: false, target: iv, type: 'long', tok: tok('++', 'operator') },
		body,
	};
}
