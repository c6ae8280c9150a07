// Pass 3 is a function of the script: the same script gives the same C
// whatever the process translated before (a warm runner translates many;
// the module cache is keyed by the C). A process-wide counter once numbered
// foreach comparators across modules.
import test from 'ava';
import { runPipeline } from '../../controller/build/script-pipeline.js';

const SORTED = 'global a, b probe begin { a[1] = 2; b["x"] = 1 foreach (k in a-) println(k) foreach (s+ in b) println(s) exit() }';
const OTHER = 'global c probe begin { c[3] = 1 foreach (k in c+) println(k) foreach ([k] in c- limit 1) println(k) exit() }';

async function c(text: string): Promise<string> {
	const r = await runPipeline({ name: '<input>', text, args: [] }, 3);
	if (!r.ok || !r.source) throw new Error(r.stderr);
	return r.source;
}

test('the same script translated again after others gives the same C', async (t) => {
	const first = await c(SORTED);
	t.regex(first, /static int cmp_probe_0_0\(/);
	await c(OTHER);
	await c(OTHER);
	t.is(await c(SORTED), first);
});
