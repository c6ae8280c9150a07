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
import { run, tapfleet } from '../parse/helpers.js';
import { repoRoot } from '../../controller/build/toolchain.js';

const corpus = path.join(repoRoot, '../shared/conformance/run');

export const PASSING: readonly string[] = [
	'args_basic', 'args_slice_delete_int', 'base_arith', 'args_slice_expr_key', 'args_slice_membership', 'args_slice_membership2',
	'args_slice_wildcards', 'at_defined', 'base_abort_1', 'base_abort_3', 'base_be_order',
	'base_break_and_continue', 'base_exit_2', 'base_exit_3', 'base_foreach_aggrsort',
	'base_foreach_sort_stat_11', 'base_foreach_sort_stat_5', 'base_foreach_sort_stat_8',
	'base_foreach_value', 'base_func_definition', 'base_global_init', 'base_global_stat_autoprint', 'base_overcatcher',
	'base_prepost_optim', 'base_probe_combining_1', 'base_probe_combining_2',
	'base_probe_combining_3', 'base_ternary_op_1', 'base_ternary_op_7', 'err_array_overflow',
	'err_beginenderror', 'err_error_fn', 'lang_globals_locals_init', 'lang_int_ops', 'lang_loops',
	'lang_recursion', 'lang_short_circuit', 'lang_try_catch_messages', 'maps_foreach_foreach',
	'maps_hist_in_string', 'maps_is', 'maps_ix', 'maps_ix_hist', 'maps_linear', 'maps_linear_empty',
	'maps_linear_overunder', 'maps_log_edge', 'maps_multikey_sort', 'maps_slice_pmaps', 'maps_slice_sorting',
	'preproc_conditionals', 'printf_basic6', 'printf_char1', 'printf_char2', 'printf_flags_widths', 'printf_oct',
	'printf_print', 'printf_print_char', 'printf_print_stats', 'printf_string1', 'printf_string2',
	'string_conversions', 'string_dot', 'string_isinstr', 'string_quoted', 'string_sprintln',
	'string_str_replace', 'string_strcmp', 'string_strlen', 'string_strpos', 'string_text_str',
];

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

// Every case runs once, three at a time; each test awaits its own case, so
// ava's inactivity timer sees progress case by case.
const results = new Map<string, Promise<Outcome>>();
const slots: (() => void)[] = [];
let running = 0;
function schedule(name: string): Promise<Outcome> {
	let p = results.get(name);
	if (!p) {
		p = (async () => {
			while (running >= 3) await new Promise<void>((r) => slots.push(r));
			running++;
			try {
				return await runCase(name);
			} finally {
				running--;
				slots.shift()?.();
			}
		})();
		results.set(name, p);
	}
	return p;
}

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
