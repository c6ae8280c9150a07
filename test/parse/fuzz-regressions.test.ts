// Scripts on which a differential fuzz (tapfleet's pass 1 against stap -p1)
// once found the two apart, each compared live with stap: the same exit
// status, the same dump, the same stderr. And where stap 4.8 itself dies of
// SIGSEGV, tapfleet's located error instead.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpParseTree, hostTarget, runPass1 } from '../../controller/parse/index.js';
import { DEFAULT_TAPSET_DIR } from '../../controller/parse/library.js';
import { run } from './helpers.js';
import { comparableStderr } from './stap-compare.js';

const STAP_ENV = { ...process.env, SYSTEMTAP_NOSIGN: '1', LC_ALL: 'C' };

interface Case {
	readonly script: string;
	readonly args?: readonly string[];
	readonly guru?: boolean;
	/** Tapset files (name: text) of a directory given with -I. */
	readonly tapsets?: Readonly<Record<string, string>>;
}

/**
 * stap 4.8 reads the token after a function's ')' and after 'return' without
 * checking for the end of the file: it dies of SIGSEGV with no message of
 * its own. A user gets a located error from tapfleet there, not a crash.
 */
const STAP_CRASHES: readonly string[] = ['function f()', 'private function f(x:long) ', 'function f() { if (x) return'];

const CASES: Case[] = [
	// where stap does check for the end of the file
	{ script: 'function f() :' },
	{ script: 'probe begin { return' },
	// stap reads a script up to its first NUL byte: the rest is neither lexed nor quoted.
	{ script: 'probe begin { x = 1 } #\0 comment\nprobe end {}' },
	{ script: 'probe begin { x = "a\0b" }' },
	{ script: 'probe begin { %{ \0 %} }', guru: true },
	{ script: '\0probe begin { }' },
	{ script: 'probe begin { x = 1 }', tapsets: { 'nul.stp': 'function g() { x = 1 }\0 function f() { x = }\n' } },
	// stap parses the -I directories' tapsets before the script, even for -p1:
	// their errors, their warnings, and the same errors silenced later in the
	// script (one report per throw site); a tapset named like a builtin one is
	// skipped; one that crashes stap crashes it before the script.
	{ script: 'probe begin { x = 1 }', tapsets: { 'bad.stp': 'function g() { x = }\n', 'good.stp': 'function ok() { return 1 }\n' } },
	{ script: 'probe begin { x = } probe end { y = @zz }', tapsets: { 'bad.stp': '@define zz %( 1 %)\nfunction h() { y = @zz + }\n' } },
	{ script: 'probe begin { x = @cast }', tapsets: { 'warn.stp': '@define cast %( 1 %)\nfunction w() { return @cast }\n' } },
	{ script: 'probe begin { x = 1 }', tapsets: { 'errno.stp': 'function g() { x = }\n' } },
];

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-p1-fuzz-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

CASES.forEach((c, i) => {
	const extra = (c.args ? ' ' + JSON.stringify(c.args) : '') + (c.tapsets ? ' -I ' + JSON.stringify(c.tapsets) : '');
	test(`fuzz regression ${JSON.stringify(c.script)}${extra} matches stap -p1`, async (t) => {
		const name = `case${i}.stp`;
		writeFileSync(join(dir, name), c.script, 'latin1');
		const flags = c.guru ? ['-g'] : [];
		const includePaths = [DEFAULT_TAPSET_DIR];
		if (c.tapsets) {
			const tapsetDir = join(dir, `tapsets${i}`);
			mkdirSync(tapsetDir);
			for (const [file, text] of Object.entries(c.tapsets)) writeFileSync(join(tapsetDir, file), text, 'latin1');
			flags.push('-I', tapsetDir);
			includePaths.push(tapsetDir);
		}
		const stapRun = run('stap', ['-p1', ...flags, name, ...(c.args ?? [])], { cwd: dir, env: STAP_ENV });
		const r = runPass1({
			target: hostTarget({ guruMode: !!c.guru }), args: c.args ?? [], includePaths, scripts: [{ name, text: c.script }],
		});
		const stap = await stapRun;
		t.is(stap.status, r.files ? 0 : 1);
		t.is(r.files ? dumpParseTree(r.files) : '', stap.stdout);
		t.is(comparableStderr(r.session.diags.render() + r.session.diags.suppressionNote()), comparableStderr(stap.stderr));
	});
});

STAP_CRASHES.forEach((script, i) => {
	test(`where stap -p1 dies of SIGSEGV (${JSON.stringify(script)}), a located error`, async (t) => {
		const name = `case-crash${i}.stp`;
		writeFileSync(join(dir, name), script, 'latin1');
		const stap = await run('stap', ['-p1', name], { cwd: dir, env: STAP_ENV });
		t.is(stap.signal, 'SIGSEGV', 'stap 4.8 still crashes here');
		const r = runPass1({ target: hostTarget(), args: [], scripts: [{ name, text: script }] });
		t.is(r.files, null);
		t.regex(r.session.diags.render(), new RegExp(`^parse error: unexpected end-of-file\\n\\s+saw: case-crash${i}\\.stp EOF\\n`));
	});
});
