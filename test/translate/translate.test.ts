// Pass 3 end to end: a program as pass 2 hands it over → C → pass 4 (real
// clang and cc) → the real taprun on this kernel, comparing stdout exactly.
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Program } from '../../controller/elaborate/program.js';
import { buildScriptModule } from '../../controller/build/script-module.js';
import { localBuildTarget } from '../../controller/build/target.js';
import { taprunPath } from '../../controller/build/toolchain.js';
import { translate, TranslateError } from '../../controller/translate/translate.js';
import * as ir from './ir.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tapfleet-translate-test-'));
const target = localBuildTarget();
const exit = ir.builtin('exit', 'unknown');

async function build(p: Program, name: string): Promise<string> {
	return (await buildScriptModule({ program: p, scriptText: name, scriptName: '<input>', moduleName: name, target, cacheDir })).dir;
}

/** Runs taprun -T 3 on `dir`, calling `trigger` until stdout satisfies `done` (or taprun ends). */
async function traceWhile(dir: string, trigger: () => void, done: (out: string) => boolean): Promise<{ out: string; err: string; status: number | null }> {
	const child = spawn(taprunPath, ['-T', '3', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
	const closed = new Promise<number | null>((r) => child.on('close', r));
	let out = '';
	let err = '';
	child.stdout.on('data', (d: Buffer) => (out += d.toString()));
	child.stderr.on('data', (d: Buffer) => (err += d.toString()));
	const deadline = Date.now() + 2500;
	while (!done(out) && child.exitCode === null && Date.now() < deadline) {
		trigger();
		await new Promise((r) => setTimeout(r, 100));
	}
	return { out, err, status: await closed };
}

test('hello world: a begin probe, println and exit', async (t) => {
	const p = ir.program([], [ir.probe(0, 'begin', ir.begin, ir.block(ir.stmt(ir.println(ir.str('hello world'))), ir.stmt(ir.call(exit))))]);
	const c = translate(p, { name: 'hello' }).source;
	t.regex(c, /"hello world\\n"/);
	const r = spawnSync(taprunPath, [await build(p, 'hello')], { encoding: 'utf8' });
	t.is(r.stdout, 'hello world\n');
	t.is(r.status, 0);
});

test('globals, arrays, sorted foreach with limit, statistics and a histogram', async (t) => {
	const cnt = ir.global('cnt', 'long', null, { init: 5n });
	const arr = ir.global('arr', 'long', ['string', 'long']);
	const st = ir.global('st', 'stats', null, { stats: { count: true, sum: true, min: true, max: true, avg: true, variance: null, histLog: true, histLinear: [] } });
	const i = ir.local('i', 'long', 0);
	const k = ir.local('k', 'string', 1);
	const loop = ir.countingLoop(i, 5, ir.block(ir.stmt(ir.assign('=', ir.at(arr, ir.str('x'), ir.ref(i)), ir.binary('*', ir.ref(i), ir.ref(i)))), ir.stmt(ir.assign('<<<', ir.ref(st) as never, ir.ref(i)))));
	const each: import('../../controller/elaborate/program.js').Stmt = {
		kind: 'foreach', array: arr, keyVars: [k, i], valueVar: null, slice: [], sortDirection: -1, sortColumn: 0, sortAggregate: null, limit: ir.num(3), tok: ir.tok('foreach', 'keyword'),
		body: ir.stmt(ir.printf('%s %d: %d\n', ir.ref(k), ir.ref(i), ir.at(arr, ir.ref(k), ir.ref(i)))),
	};
	const stat = (aggregate: 'count' | 'avg' | 'min' | 'max') => ({ kind: 'stat', aggregate, stat: ir.ref(st), params: [], type: 'long', tok: ir.tok(`@${aggregate}`, 'operator') }) as const;
	const hist = { kind: 'print', name: 'print', toStream: true, format: null, delimiter: null, newline: false, args: [], type: 'long', tok: ir.tok('print'), hist: { kind: 'hist', htype: 'log', stat: ir.ref(st), params: [], type: 'long', tok: ir.tok('@hist_log', 'operator') } } as const;
	const body = ir.block(
		ir.stmt(ir.assign('+=', ir.ref(cnt) as never, ir.num(3))),
		loop,
		each,
		ir.stmt(ir.printf('cnt=%d count=%d avg=%d min=%d max=%d\n', ir.ref(cnt), stat('count') as never, stat('avg') as never, stat('min') as never, stat('max') as never)),
		ir.stmt(hist as never),
	);
	const p = ir.program([cnt, arr, st], [ir.probe(0, 'end', ir.end, body, [i, k])]);
	const r = spawnSync(taprunPath, ['-T', '1', await build(p, 'arrays')], { encoding: 'utf8' });
	t.is(r.stdout, [
		'x 4: 16', 'x 3: 9', 'x 2: 4', 'cnt=8 count=5 avg=2 min=0 max=4',
		'value |-------------------------------------------------- count',
		'    0 |@                                                  1',
		'    1 |@                                                  1',
		'    2 |@@                                                 2',
		'    4 |@                                                  1',
		'    8 |                                                   0',
		'   16 |                                                   0',
		'', '',
	].join('\n'));
	t.is(r.status, 0, r.stderr);
});

test('division by zero: stap message and location on stderr, status 1', async (t) => {
	const x = ir.local('x', 'long', 0);
	const p = ir.program([], [ir.probe(0, 'begin', ir.begin, ir.block(
		ir.stmt(ir.println(ir.str('before'))),
		ir.stmt(ir.println(ir.binary('/', ir.num(1), ir.ref(x), 4, 52))),
		ir.stmt(ir.println(ir.str('never'))),
	), [x])]);
	const r = spawnSync(taprunPath, [await build(p, 'div0')], { encoding: 'utf8' });
	t.is(r.stdout, 'before\n');
	t.regex(r.stderr, /^ERROR: division by 0 near operator '\/' at <input>:4:52/m);
	t.is(r.status, 1);
});

test('a tracepoint handler with a target variable, execname(), user_string(), sprintf and a loop', async (t) => {
	const filename: import('../../controller/elaborate/program.js').TargetVar = {
		kind: 'target', name: '$filename', type: 'long', cType: 'const char *', pointer: true,
		source: { kind: 'tracepoint_field', field: { name: 'filename', type: 'const char *', offset: 24, size: 8, signed: false }, dataLoc: false, charArray: false },
	};
	const event = { kind: 'tracepoint', system: 'syscalls', event: 'sys_enter_openat', tracepoint: { system: 'syscalls', name: 'sys_enter_openat' } } as never;
	const i = ir.local('i', 'long', 0);
	const sum = ir.local('sum', 'long', 1);
	const loop = ir.countingLoop(i, 5, ir.stmt(ir.assign('+=', ir.ref(sum) as never, ir.ref(i))));
	// sprintf on the kernel side goes through bpf_snprintf
	const sprintf = { ...(ir.printf('%s %d', ir.call(ir.builtin('user_string', 'string', ['long']), ir.ref(filename)), ir.ref(sum)) as object), name: 'sprintf', toStream: false, type: 'string' } as never;
	const flags: import('../../controller/elaborate/program.js').TargetVar = {
		kind: 'target', name: '$flags', type: 'long', cType: 'int', pointer: false,
		source: { kind: 'tracepoint_field', field: { name: 'flags', type: 'int', offset: 32, size: 8, signed: false }, dataLoc: false, charArray: false },
	};
	const quoted = ir.call(ir.builtin('user_string_quoted', 'string', ['long']), ir.ref(filename));
	const flagStr = ir.call(ir.builtin('_sys_open_flag_str', 'string', ['long']), ir.ref(flags));
	const body = ir.block(loop, ir.stmt(ir.printf('%s: %s\n', ir.call(ir.builtin('execname', 'string')), sprintf)), ir.stmt(ir.printf('%s: %s, %s\n', ir.call(ir.builtin('execname', 'string')), quoted, flagStr)));
	const dir = await build(ir.program([], [ir.probe(0, 'kernel.trace("syscalls:sys_enter_openat")', event, body, [i, sum], [filename, flags])]), 'opens');
	// open a known file until taprun has attached and seen it
	const { out, err, status } = await traceWhile(dir, () => execFileSync('cat', ['/etc/hostname']), (o) => o.includes('cat: /etc/hostname 10') && o.includes('cat: "/etc/hostname", O_RDONLY'));
	t.regex(out, /^cat: \/etc\/hostname 10$/m, err);
	t.regex(out, /^cat: "\/etc\/hostname", O_RDONLY$/m);
	t.is(status, 0);
});

test('recursion in a kernel-side probe is a located compile error', (t) => {
	const f: import('../../controller/elaborate/program.js').FunctionDef = { name: 'f', mangledName: 'f', params: [], returnType: 'long', fromTapset: null, tok: ir.tok('f', 'identifier', 2, 10), body: { kind: 'script', block: ir.block(), locals: [] } };
	(f.body as { block: { statements: unknown[] } }).block.statements.push(ir.stmt(ir.call(f)));
	const event = { kind: 'tracepoint', system: 'syscalls', event: 'sys_enter_openat', tracepoint: {} } as never;
	const p = ir.program([], [ir.probe(0, 'kernel.trace("syscalls:sys_enter_openat")', event, ir.block(ir.stmt(ir.call(f))))]);
	const err = t.throws(() => translate(p, { name: 'rec' }));
	t.true(err instanceof TranslateError);
	t.regex(err!.message, /^<input>:2:10: function f is recursive/);
});

test('a uprobe return handler reads $return from the registers', async (t) => {
	const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
	const ret: import('../../controller/elaborate/program.js').TargetVar = { kind: 'target', name: '$return', type: 'long', cType: 'int', pointer: false, source: { kind: 'return_value' } };
	// taprun attaches at the file offset pass 2 finds (here read as pass 2 reads it)
	const { elfFile } = await import('../../controller/elaborate/elf-symbols.js');
	const offset = elfFile(libc).functions.find((f) => f.name === 'uname')!.fileOffset;
	const event = { kind: 'uprobe', path: libc, symbol: 'uname', offset, isReturn: true } as const;
	const cond = { kind: 'comparison', op: '==', left: ir.call(ir.builtin('execname', 'string')), right: ir.str('uname'), type: 'long', tok: ir.tok('==', 'operator') } as const;
	const body = ir.block({ kind: 'if', cond, then: ir.stmt(ir.printf('uname returned %d\n', ir.ref(ret))), otherwise: null, tok: ir.tok('if', 'keyword') });
	const dir = await build(ir.program([], [ir.probe(0, `process("${libc}").function("uname").return`, event, body, [], [ret])]), 'unamer');
	const { out, err, status } = await traceWhile(dir, () => execFileSync('uname'), (o) => o.includes('uname returned 0'));
	t.regex(out, /^uname returned 0$/m, err);
	t.is(status, 0);
});
