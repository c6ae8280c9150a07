// -v on compile and run, as stap -v: one line on stderr as each pass ends,
// in stap's words (its main.cxx: "Pass 1: parsed user script and N library
// scripts using Vvirt/Rres/Sshr/Ddata kb, in Uusr/Ssys/Rreal ms."), "using
// cached" for a module the caches had, pass 5's start and end; stdout is
// what it is without -v; nothing without -v, and nothing left on in a warm
// runner's next run.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';
import { until } from '../agent/helpers.js';
import { stopWarmRunners, warmRunnerLog } from './warm-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-verbose-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const cold = { ...process.env, TAPFLEET_WARM_KEEP: '0' };

const MEMORY_TIMES = 'using \\d+virt/\\d+res/\\d+shr/\\d+data kb, in \\d+usr/\\d+sys/\\d+real ms\\.';
const TIMES = 'in \\d+usr/\\d+sys/\\d+real ms\\.';
const pass1 = (libraries: string) => `Pass 1: parsed user script and ${libraries} ${MEMORY_TIMES}`;
const pass2 = (counts: string) => `Pass 2: analyzed script: ${counts} ${MEMORY_TIMES}`;
const PASS3 = `Pass 3: translated to C \\(\\d+ lines\\) ${MEMORY_TIMES}`;
const pass4 = (dir: string) => `Pass 4: compiled C into "${dir}" ${TIMES}`;
const lines = (...patterns: string[]) => new RegExp(`^${patterns.join('\\n')}\\n$`);
const GLOBALS = 'global x probe begin { x = 1 println("hi") exit() } function f() { return 1 }';

test('compile -v: a line per pass, in stap\'s words, plurals and units; the same stdout as without -v', async (t) => {
	const quiet = await run(tapfleet, ['compile', '-p2', '-e', GLOBALS], { env: cold });
	const verbose = await run(tapfleet, ['compile', '-v', '-p2', '-e', GLOBALS], { env: cold });
	t.is(verbose.status, 0, verbose.stderr);
	t.is(verbose.stdout, quiet.stdout);
	t.is(quiet.stderr, '');
	// the autoprint end probe of x makes two probes; exit() is the one function
	t.regex(verbose.stderr, lines(pass1('0 library scripts'), pass2('2 probes, 1 function, 0 embeds, 1 global')));
	// -I: the tapsets pass 1 parsed are its library scripts (tapfleet's own are parsed in pass 2)
	const dir = join(work, 'tapsets');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'one.stp'), 'function one() { return 1 }\n');
	const withI = await run(tapfleet, ['compile', '-v', '-p1', '-I', dir, '-e', 'probe begin { println(one()) }'], { env: cold });
	t.is(withI.status, 0, withI.stderr);
	t.regex(withI.stderr, lines(pass1('1 library script')));
	// -vv says no more than -v
	const vv = await run(tapfleet, ['compile', '-vv', '-p1', '-e', 'probe begin { }'], { env: cold });
	t.regex(vv.stderr, lines(pass1('0 library scripts')));
});

test('compile -v -p4: passes 1-4, then "using cached" for pass 4 of the same script', async (t) => {
	const cache = mkdtempSync(join(work, 'cache-'));
	const env = { ...cold, XDG_CACHE_HOME: cache };
	const script = 'probe begin { println("verbose") exit() }';
	const first = await run(tapfleet, ['compile', '-v', '-p4', '-e', script], { env });
	t.is(first.status, 0, first.stderr);
	const dir = first.stdout.trim();
	t.regex(first.stderr, lines(pass1('0 library scripts'), pass2('1 probe, 1 function, 0 embeds, 0 globals'), PASS3, pass4(dir)));
	const again = await run(tapfleet, ['compile', '-v', '-p4', '-e', script], { env });
	t.is(again.stdout, first.stdout);
	// (compile runs passes 1-3 again; the module cache has the result of pass 4)
	t.regex(again.stderr, lines(pass1('0 library scripts'), pass2('1 probe, 1 function, 0 embeds, 0 globals'), PASS3, `Pass 4: using cached ${dir}`));
});

test('run -v: passes 1-4, then pass 5\'s start and end around the script\'s output; -c the same; nothing without -v', async (t) => {
	const cache = mkdtempSync(join(work, 'cache-'));
	const env = { ...cold, XDG_CACHE_HOME: cache, XDG_STATE_HOME: mkdtempSync(join(work, 'state-')) };
	const script = 'probe begin { println("ran") exit() }';
	const r = await run(tapfleet, ['run', '-v', '-e', script], { env });
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'ran\n');
	t.regex(r.stderr, lines(pass1('0 library scripts'), pass2('1 probe, 1 function, 0 embeds, 0 globals'), PASS3, 'Pass 4: compiled C into "[^"]+" ' + TIMES, 'Pass 5: starting run\\.', `Pass 5: run completed ${TIMES}`));
	const withC = await run(tapfleet, ['run', '-v', '-c', 'true', '-e', 'probe begin { println("ran") }'], { env });
	t.is(withC.status, 0, withC.stderr);
	t.is(withC.stdout, 'ran\n');
	t.regex(withC.stderr, /Pass 4: compiled C into "[^"]+" in .*\nPass 5: starting run\.\nPass 5: run completed in \d+usr\/\d+sys\/\d+real ms\.\n$/);
	const quiet = await run(tapfleet, ['run', '-e', script], { env });
	t.is(quiet.stdout, 'ran\n');
	t.is(quiet.stderr, '');
});

test('a warm runner: -v in one run, not in the next', async (t) => {
	const env = { ...process.env, TAPFLEET_WARM_KEEP: '120', XDG_STATE_HOME: mkdtempSync(join(work, 'warm-')) };
	t.teardown(() => stopWarmRunners(env.XDG_STATE_HOME));
	const script = 'probe begin { println("warm") exit() }';
	await run(tapfleet, ['run', '-e', script], { env });
	await until('the runner listening', () => (warmRunnerLog(env.XDG_STATE_HOME).includes(': serving on ') ? true : undefined), 60_000);
	const verbose = await run(tapfleet, ['run', '-v', '-e', script], { env });
	t.is(verbose.stdout, 'warm\n');
	// (passes 1-3 too when the script cache has no entry for it: other tests share the default cache)
	t.regex(verbose.stderr, /(^|\n)Pass 4: using cached .*\nPass 5: starting run\.\nPass 5: run completed in .*\n$/);
	const quiet = await run(tapfleet, ['run', '-e', script], { env });
	t.is(quiet.stdout, 'warm\n');
	t.is(quiet.stderr, '');
	t.regex(warmRunnerLog(env.XDG_STATE_HOME), /served a run for pid \d+:[\s\S]*served a run for pid \d+:/);
});
