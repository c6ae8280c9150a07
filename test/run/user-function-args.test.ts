// process("PATH").function("f") parameters by name, from the program's
// DWARF (controller/elaborate/user-function-args.ts): $count, $name,
// $$parms, $return typed by the function's return type, entry values in
// a return probe, parameters after a double and after a struct on the
// stack, a function whose out-of-line copy names its parameters through an
// abstract origin; what cannot be read is a located error; a stripped
// program (without its debugging information) has $arg1..$arg6 only.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, tapfleet } from '../parse/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-dwarf-'));
const source = join(repoRoot, 'test/fixtures/dwarf/params.c');
const build = (name: string, opt: string) => {
	const out = join(dir, name);
	execFileSync('gcc', [opt, '-g', '-Wall', '-Werror', '-o', out, source]);
	return out;
};
const optimized = build('params-O2', '-O2');
const plain = build('params-O0', '-O0');
/** A copy of the -O2 build at a path of its own: a test's probes see only its own runs (ava runs a file's tests at once). */
const copyOf = (name: string) => {
	const out = join(dir, name);
	copyFileSync(optimized, out);
	return out;
};
const stripped = join(dir, 'params-stripped');
execFileSync('strip', ['--strip-debug', '-o', stripped, optimized]);
/** The program's own line (its results), then the probes' lines. */
const PROGRAM = '-705032409 8090 10 2 42\n4\n';

const at = (prog: string, fn: string) => `process("${prog}").function("${fn}")`;

for (const [what, prog] of [['-O2', optimized], ['-O0', plain]] as const) {
	test(`${what}: parameters of every kind by name and $$parms; $return as the function's type; entry values at return`, async (t) => {
		const script = `probe ${at(prog, 'mixed')} { printf("%d %s %d %d %d %d\\n", $count, user_string($name), $flag, $wide, $c, $s); println($$parms) }`
			+ ` probe ${at(prog, 'mixed')}.return { printf("%d = mixed(%d, %s)\\n", $return, $count, user_string($name)) }`
			+ ` probe ${at(prog, 'after_big')} { printf("after_big %d %d\\n", $x, $port) }`;
		const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
		t.is(r.status, 0, r.stderr);
		// (the compiler evaluates printf's arguments in an order of its own: after_big may come first)
		const lines = r.stdout.replace(PROGRAM, '').replace('after_big 9 8080\n', '');
		t.true(r.stdout.includes('after_big 9 8080\n'), r.stdout);
		t.regex(lines, /^-7 hello 200 -5000000000 -1 -3\ncount=0xfffffffffffffff9 name=0x[0-9a-f]+ scale=\? flag=0xc8 wide=0xfffffffed5fa0e00 c=0xffffffffffffffff s=0xfffffffffffffffd\n-705032409 = mixed\(-7, hello\)\n$/);
	});
}

test('a function inlined in one place and called through a pointer in another: its out-of-line copy\'s parameters by name, at entry and return', async (t) => {
	const prog = copyOf('params-twice');
	const r = await run(tapfleet, ['run', '-c', prog, '-e', `probe ${at(prog, 'twice')} { printf("twice %d\\n", $v) } probe ${at(prog, 'twice')}.return { printf("twice(%d) = %d\\n", $v, $return) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.replace(PROGRAM, ''), 'twice 21\ntwice(21) = 42\n');
});

test('members of a struct parameter, read from the process: nested struct, char array, the next pointer; NULL at the list\'s end is stap\'s fault, caught or located', async (t) => {
	const prog = copyOf('params-members');
	const script = `probe ${at(prog, 'handle')} { printf("%d %s %d %s %d %d|%s\\n", $req->id, user_string($req->path), $req->hdr->len, $req->hdr->tag, $req->next->id, $flags, $req->next->hdr->tag)`
		+ ' try { println($req->next->next->id) } catch { println("caught") } }';
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.replace(PROGRAM, ''), '1 /one 10 first 2 3|second\ncaught\n');
	const uncaught = await run(tapfleet, ['run', '-c', prog, '-e', `probe ${at(prog, 'handle')} { println($req->next->next->id) }`]);
	t.is(uncaught.status, 1);
	t.regex(uncaught.stderr, /^ERROR: read fault \[man error::fault\] at 0x0 near identifier '\$req' at <input>:1:\d+$/m);
});

test('what cannot be read is a located error: a struct passed in registers, a parameter after it, a member of what has none, an unknown name (the parameters as alternatives)', async (t) => {
	const cases: [string, RegExp][] = [
		[`probe ${at(optimized, 'after_pair')} { println($p) }`, /semantic error: cannot read \$p of after_pair: it is pair, not passed in an integer register: identifier '\$p'/],
		[`probe ${at(optimized, 'after_pair')} { println($y) }`, /semantic error: cannot read \$y of after_pair: parameter 1 \(pair\) comes before it, passed in a way not followed here: identifier '\$y'/],
		[`probe ${at(optimized, 'mixed')} { println($scale) }`, /cannot read \$scale of mixed: it is double, not passed in an integer register/],
		[`probe ${at(optimized, 'mixed')} { println($name->x) }`, /'\$name' \(char \*\) is not a struct or union, or a pointer to one/],
		[`probe ${at(optimized, 'handle')} { println($req->nope) }`, /struct request has no member 'nope'/],
		[`probe ${at(optimized, 'handle')} { println($req->hdr) }`, /'\$req->hdr' is struct \(anonymous\): name a member of it/],
		[`probe ${at(optimized, 'mixed')} { println($cont) }`, /unable to find tracepoint variable '\$cont' \(alternatives: \$arg1 \$arg2 \$arg3 \$arg4 \$arg5 \$arg6 \$count \$name \$scale \$flag \$wide \$c \$s \$\$parms \$\$vars\)/],
	];
	for (const [script, want] of cases) {
		const r = await run(tapfleet, ['compile', '-p2', '-e', script]);
		t.is(r.status, 1, script);
		t.regex(r.stderr, want, script);
	}
});

test('a program without debugging information (strip --strip-debug): no names, $arg1.. still there', async (t) => {
	const unknown = await run(tapfleet, ['compile', '-p2', '-e', `probe ${at(stripped, 'mixed')} { println($count) }`]);
	t.is(unknown.status, 1);
	t.regex(unknown.stderr, /unable to find tracepoint variable '\$count' \(alternatives: \$arg1 \$arg2 \$arg3 \$arg4 \$arg5 \$arg6 \$\$parms \$\$vars\)/);
	const r = await run(tapfleet, ['run', '-c', stripped, '-e', `probe ${at(stripped, 'mixed')} { println($arg1) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.replace(PROGRAM, ''), '4294967289\n');
});

test('entry values an alias takes at a return and the script never reads are not kept per call: only the one used has its array', async (t) => {
	const prog = copyOf('params-alias');
	const script = `probe mixed_done = ${at(prog, 'mixed')}.return { count = $count; flag = $flag; wide = $wide; ret = $return }`
		+ ' probe mixed_done { printf("mixed(%d) = %d\\n", count, ret) }';
	const listed = await run(tapfleet, ['compile', '-p2', '-e', script]);
	t.is(listed.status, 0, listed.stderr);
	// $flag and $wide are elided with their assignments, and their entry values with them
	t.deepEqual(listed.stdout.match(/^__tapfleet_entry_\w+/gm), ['__tapfleet_entry_0_0']);
	const r = await run(tapfleet, ['run', '-c', prog, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.replace(PROGRAM, ''), 'mixed(-7) = -705032409\n');
});

test('returnval(): the return value register at a uprobe return (and a kernel-side probe without registers gives 0)', async (t) => {
	const prog = copyOf('params-returnval');
	const r = await run(tapfleet, ['run', '-c', prog, '-e', `probe ${at(prog, 'twice')}.return { printf("twice -> %d\\n", returnval()) } probe begin { printf("begin %d\\n", returnval()) }`]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout.replace(PROGRAM, ''), 'begin 0\ntwice -> 42\n');
});
