// The run conformance corpus (../shared/conformance/run): every case runs
// through `tapfleet run FILE ARGS...` on this host (passes 1-4, the real
// taprun, real BPF) and must print exactly NAME.out; where NAME.err exists,
// its lines must appear in stderr, in order, as line prefixes.
//
// PASSING (test/run/corpus.ts) lists the cases that pass today and must
// keep passing; the whole corpus is the goal. A test also reports which other cases pass now, so
// the list can grow.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';
import { caseArgs, caseScheduler, corpusCases as cases, corpusDir as corpus, expectedOut, PASSING, stderrLacks } from './corpus.js';

interface Outcome {
	name: string;
	ok: boolean;
	why: string;
}

async function runCase(name: string): Promise<Outcome> {
	const file = `${name}.stp`;
	const r = await run(tapfleet, ['run', file, ...caseArgs(name)], { cwd: corpus });
	if (r.stdout !== expectedOut(name)) return { name, ok: false, why: `stdout differs (status ${r.status}): ${JSON.stringify(r.stdout.slice(0, 200))} ${r.stderr.split('\n')[0]}` };
	const lacks = stderrLacks(name, file, r.stderr);
	return lacks ? { name, ok: false, why: lacks } : { name, ok: true, why: '' };
}

const schedule = caseScheduler(3, runCase);

test('the run corpus is present and PASSING names real cases', (t) => {
	t.true(cases.length > 0, `no cases in ${corpus}`);
	for (const name of PASSING) t.true(cases.includes(name), `${name} is not in the corpus`);
});

for (const name of PASSING) {
	test(`run corpus: ${name}`, async (t) => {
		const o = await schedule(name);
		t.true(o.ok, o.why);
	});
}

test('run corpus: the cases not listed yet (reported, not asserted)', async (t) => {
	const rest = cases.filter((c) => !PASSING.includes(c));
	const outcomes = await Promise.all(rest.map(schedule));
	const now = outcomes.filter((o) => o.ok).map((o) => o.name);
	t.log(`${PASSING.length + now.length} of ${cases.length} pass${now.length ? `; passing but not listed: ${now.join(' ')}` : ''}`);
	for (const o of outcomes.filter((x) => !x.ok)) t.log(`${o.name}: ${o.why.slice(0, 300)}`);
	t.pass();
});
