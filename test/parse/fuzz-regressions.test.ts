// Scripts on which a differential fuzz (tapfleet's pass 1 against stap -p1)
// once found the two apart, each compared live with stap: the same exit (a
// status, or the signal stap dies of), the same dump, the same stderr.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpParseTree, hostTarget, runPass1 } from '../../controller/parse/index.js';
import { run } from './helpers.js';
import { comparableStderr } from './stap-compare.js';

const STAP_ENV = { ...process.env, SYSTEMTAP_NOSIGN: '1', LC_ALL: 'C' };

interface Case {
	readonly script: string;
	readonly args?: readonly string[];
	readonly guru?: boolean;
}

const CASES: Case[] = [
	// stap 4.8 reads the token after a function's ')' and after 'return' without
	// checking for the end of the file: it dies of SIGSEGV, after the errors so far.
	{ script: 'function f()' },
	{ script: 'private function f(x:long) ' },
	{ script: 'probe begin { x = } probe end { y = } function f()\n' },
	{ script: 'function f() { if (x) return' },
	{ script: 'probe begin { x = }\nfunction g() { return' },
	// ... but not where it does check.
	{ script: 'function f() :' },
	{ script: 'probe begin { return' },
];

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-p1-fuzz-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

CASES.forEach((c, i) => {
	test(`fuzz regression ${JSON.stringify(c.script)}${c.args ? ' ' + JSON.stringify(c.args) : ''} matches stap -p1`, async (t) => {
		const name = `case${i}.stp`;
		writeFileSync(join(dir, name), c.script, 'latin1');
		const flags = c.guru ? ['-g'] : [];
		const stapRun = run('stap', ['-p1', ...flags, name, ...(c.args ?? [])], { cwd: dir, env: STAP_ENV });
		const r = runPass1({ target: hostTarget({ guruMode: !!c.guru }), args: c.args ?? [], scripts: [{ name, text: c.script }] });
		const stap = await stapRun;
		// A crashed stap has no status, only its signal.
		t.deepEqual({ status: r.crash === null ? (r.files ? 0 : 1) : null, signal: r.crash }, { status: stap.status, signal: stap.signal });
		t.is(r.files ? dumpParseTree(r.files) : '', stap.stdout);
		// stap prints its suppression note at the very end, which a crash never reaches.
		const ours = r.session.diags.render() + (r.crash ? '' : r.session.diags.suppressionNote());
		t.is(comparableStderr(ours), comparableStderr(stap.stderr));
	});
});
