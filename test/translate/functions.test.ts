// Script functions (string and long returns, recursion on the user side),
// try/catch with the bare error message, error(), next, built and run for real.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionDef, Stmt } from '../../controller/elaborate/program.js';
import { buildScriptModule } from '../../controller/build/script-module.js';
import { localBuildTarget } from '../../controller/build/target.js';
import { taprunPath } from '../../controller/build/toolchain.js';
import * as ir from './ir.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-functions-test-'));

test('string and recursive functions, try/catch, error()', async (t) => {
	// function suffix(s) { return s . "!" }
	const s = { kind: 'param', name: 's', type: 'string', index: 0, tok: ir.tok('s') } as const;
	const suffix: FunctionDef = {
		name: 'suffix', mangledName: 'suffix', params: [s], returnType: 'string', fromTapset: null, tok: ir.tok('suffix'),
		body: { kind: 'script', locals: [], block: ir.block({ kind: 'return', tok: ir.tok('return', 'keyword'), value: { kind: 'concat', left: ir.ref(s as never), right: ir.str('!'), type: 'string', tok: ir.tok('.', 'operator') } }) },
	};
	// function fact(n) { if (n <= 1) return 1; return n * fact(n - 1) }
	const n = { kind: 'param', name: 'n', type: 'long', index: 0, tok: ir.tok('n') } as const;
	const fact: FunctionDef = { name: 'fact', mangledName: 'fact', params: [n], returnType: 'long', fromTapset: null, tok: ir.tok('fact'), body: { kind: 'script', locals: [], block: ir.block() } };
	const le = { kind: 'comparison', op: '<=', left: ir.ref(n as never), right: ir.num(1), type: 'long', tok: ir.tok('<=', 'operator') } as const;
	(fact.body as { block: { statements: Stmt[] } }).block.statements.push(
		{ kind: 'if', cond: le, then: { kind: 'return', value: ir.num(1), tok: ir.tok('return', 'keyword') }, otherwise: null, tok: ir.tok('if', 'keyword') },
		{ kind: 'return', value: ir.binary('*', ir.ref(n as never), ir.call(fact, ir.binary('-', ir.ref(n as never), ir.num(1)))), tok: ir.tok('return', 'keyword') },
	);
	const msg = ir.local('msg', 'string', 0);
	const tryStmt: Stmt = {
		kind: 'try', tok: ir.tok('try', 'keyword'), errorVar: msg,
		body: ir.block(ir.stmt(ir.call(ir.builtin('error', 'unknown', ['string']), ir.str('boom'))), ir.stmt(ir.println(ir.str('not here')))),
		handler: ir.block(ir.stmt(ir.println(ir.str('caught: '), ir.ref(msg)))),
	};
	const body = ir.block(
		ir.stmt(ir.println(ir.call(suffix, ir.str('hello')))),
		ir.stmt(ir.println(ir.call(fact, ir.num(10)))),
		tryStmt,
		ir.stmt(ir.call(ir.builtin('exit', 'unknown'))),
	);
	const p = ir.program([], [ir.probe(0, 'begin', ir.begin, body, [msg])]);
	const dir = (await buildScriptModule({ program: p, scriptText: 'functions', scriptName: '<input>', moduleName: 'functions', target: localBuildTarget(), cacheDir })).dir;
	const r = spawnSync(taprunPath, [dir], { encoding: 'utf8' });
	t.is(r.stdout, 'hello!\n3628800\ncaught: boom\n');
	t.is(r.status, 0, r.stderr);
});
