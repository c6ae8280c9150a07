// The run conformance corpus (../shared/conformance/run): every case runs
// through `tapfleet run FILE ARGS...` on this host (passes 1-4, the real
// taprun, real BPF) and must print exactly NAME.out; where NAME.err exists,
// its lines must appear in stderr, in order, as line prefixes.
//
// PASSING lists the cases that pass today and must keep passing; the whole
// corpus is the goal. A test also reports which other cases pass now, so
// the list can grow.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pooled, run, tapfleet } from '../parse/helpers.js';
import { repoRoot } from '../../controller/build/toolchain.js';

const corpus = path.join(repoRoot, '../shared/conformance/run');

export const PASSING: readonly string[] = [];

/** Shell words of NAME.args (single quotes, double quotes, bare words). */
function shellWords(line: string): string[] {
	const words: string[] = [];
	const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
	for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
	return words;
}

interface Outcome {
	name: string;
	ok: boolean;
	why: string;
}

async function runCase(name: string): Promise<Outcome> {
	const base = path.join(corpus, name);
	const argsFile = `${base}.args`;
	const args = existsSync(argsFile) ? shellWords(readFileSync(argsFile, 'utf8').trim()) : [];
	const file = `${name}.stp`;
	const r = await run(tapfleet, ['run', file, ...args], { cwd: corpus });
	const expected = readFileSync(`${base}.out`, 'latin1');
	if (r.stdout !== expected) return { name, ok: false, why: `stdout differs (status ${r.status}): ${JSON.stringify(r.stdout.slice(0, 200))} ${r.stderr.split('\n')[0]}` };
	const errFile = `${base}.err`;
	if (existsSync(errFile)) {
		const lines = r.stderr.split('\n');
		let at = 0;
		for (const want of readFileSync(errFile, 'latin1').split('\n').filter((l) => l.length > 0)) {
			const prefix = want.replace(/\{FILE\}/g, file);
			while (at < lines.length && !lines[at]!.startsWith(prefix)) at++;
			if (at === lines.length) return { name, ok: false, why: `stderr lacks ${JSON.stringify(prefix)}` };
			at++;
		}
	}
	return { name, ok: true, why: '' };
}

const cases = existsSync(corpus) ? readdirSync(corpus).filter((f) => f.endsWith('.stp')).map((f) => f.slice(0, -4)).sort() : [];

test('the run corpus is present', (t) => {
	t.true(cases.length > 0, `no cases in ${corpus}`);
	for (const name of PASSING) t.true(cases.includes(name), `${name} is not in the corpus`);
});

test('every passing case prints exactly its expected stdout', async (t) => {
	const outcomes = await pooled(cases, 2, runCase);
	const failed = outcomes.filter((o) => PASSING.includes(o.name) && !o.ok).map((o) => `${o.name}: ${o.why}`);
	t.deepEqual(failed, []);
	const newlyPassing = outcomes.filter((o) => o.ok && !PASSING.includes(o.name)).map((o) => o.name);
	t.log(`${outcomes.filter((o) => o.ok).length} of ${cases.length} cases pass${newlyPassing.length ? `; not yet listed: ${newlyPassing.join(' ')}` : ''}`);
});
