// The shape of a compiled bpf module as its size grows: a script function
// is one BPF subprogram however many probes call it, and the probe
// handlers' locals live in one per-CPU map, not one map per probe (a
// 723-probe strace.stp made 730 maps, and clang's BTF emission grew with
// their square). The module still runs.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

const cache = mkdtempSync(join(tmpdir(), 'tapfleet-module-shape-'));
const env = { ...process.env, XDG_CACHE_HOME: cache };

/** Symbols of the .bpf.o: [name, section name]. */
function symbols(moduleDir: string): [string, string][] {
	const obj = join(moduleDir, readdirSync(moduleDir).find((f) => f.endsWith('.bpf.o'))!);
	const sections = new Map<string, string>();
	for (const m of execFileSync('readelf', ['-S', '-W', obj], { encoding: 'utf8' }).matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)/gm)) sections.set(m[1]!, m[2]!);
	const out: [string, string][] = [];
	for (const line of execFileSync('readelf', ['-s', '-W', obj], { encoding: 'utf8' }).split('\n')) {
		const f = line.trim().split(/\s+/);
		if (f.length >= 8 && /^\d+:$/.test(f[0]!)) out.push([f[7]!, sections.get(f[6]!) ?? f[6]!]);
	}
	return out;
}

async function compile(script: string): Promise<string> {
	const r = await run(tapfleet, ['compile', '-p4', '-e', script], { env });
	if (r.status !== 0) throw new Error(r.stderr);
	return r.stdout.trim();
}

// Each probe keeps a local of its own and calls the function.
const script = (calls: string[]): string => 'function tag:string (s:string) { return "<" . s . ">" }'
	+ calls.map((c) => ` probe syscall.${c} { if (pid() == target()) { n = tag(name); printf("%s\\n", n) } }`).join('');

const FEW = ['getpid', 'getppid'];
const MANY = ['getpid', 'getppid', 'getuid', 'getgid', 'geteuid', 'getegid', 'gettid', 'getpgrp', 'getsid', 'umask', 'uname', 'sync',
	'getcwd', 'dup', 'dup2', 'dup3', 'close', 'pipe2', 'access', 'faccessat', 'chdir', 'fchdir', 'mkdirat', 'unlinkat', 'renameat', 'fstatfs', 'statfs', 'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'sysinfo', 'times', 'getpriority', 'setpriority', 'sched_yield'];

test('a script function is one subprogram and the handlers share one locals map, for 2 probes as for 36', async (t) => {
	const few = symbols(await compile(script(FEW)));
	const many = symbols(await compile(script(MANY)));
	// (from 32 syscall probes on, the dispatch's program arrays come too)
	const maps = (s: [string, string][]): string[] => s.filter(([n, sec]) => sec === '.maps' && !/^tap_sys_(enter|exit)_\d+$/.test(n)).map(([n]) => n).sort();
	t.deepEqual(maps(many), maps(few));
	t.true(maps(many).includes('tap_probe_locals'));
	t.false(maps(many).some((m) => /^probe_\d+_l/.test(m)), maps(many).join(' '));
	const tagFn = (s: [string, string][]): [string, string][] => s.filter(([n]) => n === 'fn___global_tag__overload_0');
	t.deepEqual(tagFn(many), [['fn___global_tag__overload_0', '.text']]);
	// ... and it runs: the calls of uname(1) reach their probes, which call the function.
	const r = await run(tapfleet, ['run', '-c', 'uname', '-e', script(MANY)], { env });
	t.is(r.status, 0, r.stderr);
	t.true(r.stdout.split('\n').includes('<uname>'), r.stdout);
});
