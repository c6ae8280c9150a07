// A uprobe wildcard's points share one BPF program where their handler
// text is the same (controller/translate/translate.ts): the program takes
// its probe's index from the attach cookie, and taprun links the points of
// one program and file as one uprobe_multi link (runtime-c/taprun/
// uprobe_links.c), or, below 8 uprobes, as perf-event uprobes each with its
// cookie. What each hit sees must still be its own point: ppfunc(), pp(),
// pp() in a function, counts per function, return values.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, tapfleet } from '../parse/helpers.js';
import { taprunPath } from '../../controller/build/toolchain.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-wildcard-'));
const prog = join(dir, 'funcs');
execFileSync('gcc', ['-O2', '-g', '-Wall', '-Werror', '-o', prog, join(repoRoot, 'test/fixtures/wildcard/funcs.c')]);
const at = (fn: string) => `process("${prog}").function("${fn}")`;
/** f_0 is called once, f_1 twice ... f_9 ten times; f_i(j) returns i + j, j = 0..i. */
const calls = Array.from({ length: 10 }, (_, i) => `f_${i} ${i + 1}`).join('\n') + '\n';
const returns = Array.from({ length: 10 }, (_, i) => `${at(`f_${i}`)}.return ${(i * (i + 1)) + (i * (i + 1)) / 2}`).join('\n') + '\n';

/** The kernel-side programs of a script's module (pass 3). */
async function programs(script: string): Promise<number> {
	const r = await run(tapfleet, ['compile', '-p3', '-e', script]);
	if (r.status !== 0) throw new Error(r.stderr);
	return r.stdout.split('\n').filter((l) => l.startsWith('TAP_KERNEL_PROBE(')).length;
}

const wildcard = `global n, r probe ${at('f_*')} { if (pid() == target()) n[ppfunc()]++ }`
	+ ` probe ${at('f_*')}.return { if (pid() == target()) r[pp()] += $return }`
	+ ' probe end { foreach (f in n+) printf("%s %d\\n", f, n[f]); foreach (p in r+) printf("%s %d\\n", p, r[p]) }';

test('function("f_*") entry and return: 20 points in 2 programs and 2 uprobe_multi links; every hit counted under its own point', async (t) => {
	t.is(await programs(wildcard), 2);
	const r = await run(tapfleet, ['run', '-c', prog, '-e', wildcard]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `529\n${calls}${returns}`);
	const mod = await run(tapfleet, ['compile', '-p4', '-e', wildcard]);
	const v = spawnSync(taprunPath, ['-v', '-T', '1', mod.stdout.trim()], { encoding: 'utf8' });
	t.is(v.status, 0, v.stderr);
	t.regex(v.stderr, /taprun: uprobes: 2 uprobe_multi links for 20 points/);
});

test('below 8 uprobes (perf-event uprobes): two points of one program, each hit under its own point', async (t) => {
	const script = `global n probe ${at('f_3')}, ${at('f_7')} { if (pid() == target()) n[ppfunc()]++ } probe end { foreach (f in n+) printf("%s %d\\n", f, n[f]) }`;
	t.is(await programs(script), 1);
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '529\nf_3 4\nf_7 8\n');
});

test('pp() and ppfunc() in a function called from a shared handler: the calling point\'s', async (t) => {
	const script = `global n function where() { return sprintf("%s|%s", ppfunc(), pp()) } probe ${at('f_*')} { if (pid() == target()) n[where()]++ }`
		+ ' probe end { foreach (w in n+) printf("%s %d\\n", w, n[w]) }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, `529\n${Array.from({ length: 10 }, (_, i) => `f_${i}|${at(`f_${i}`)} ${i + 1}`).join('\n')}\n`);
});

test('handlers whose text differs are not shared: different bodies, the same body written twice (its errors name their own places), different registers', async (t) => {
	// (every test here runs the same program at once: each counts its own command's calls only)
	const apart = `global a, b probe ${at('f_1')} { if (pid() == target()) a++ } probe ${at('f_2')} { if (pid() == target()) b++ } probe end { printf("%d %d\\n", a, b) }`;
	t.is(await programs(apart), 2);
	const r = await run(tapfleet, ['run', '-c', prog, '-e', apart]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '529\n2 3\n');
	t.is(await programs(`global c probe ${at('f_1')} { c++ } probe ${at('f_2')} { c++ }`), 2);
	// $arg1 and $arg2 read different registers: two programs for g_first and g_second
	const args = `probe ${at('g_first')} { if (pid() == target()) printf("%s %d\\n", ppfunc(), $arg1) } probe ${at('g_second')} { if (pid() == target()) printf("%s %d\\n", ppfunc(), $arg2) }`;
	t.is(await programs(args), 2);
	const g = await run(tapfleet, ['run', '-c', prog, '-e', args]);
	t.is(g.status, 0, g.stderr);
	t.is(g.stdout.split('\n').filter((l) => l.startsWith('g_')).join('\n'), 'g_first 11\ng_second 22');
});
