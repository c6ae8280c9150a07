// The run conformance corpus (../shared/conformance/run), as both runtimes'
// corpus tests read it: the cases, their arguments, the expected stderr
// lines, the cases that must pass, and a small scheduler that runs each case
// once with bounded parallelism. Not a test file: importing it registers
// no tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../controller/build/toolchain.js';

export const corpusDir = path.join(repoRoot, '../shared/conformance/run');

export const corpusCases: readonly string[] = existsSync(corpusDir)
	? readdirSync(corpusDir).filter((f) => f.endsWith('.stp')).map((f) => f.slice(0, -4)).sort()
	: [];

/** The cases that pass today and must keep passing, on bpf here and on kmod in the VM; the whole corpus is the goal. */
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
	'preproc_conditionals', 'printf_basic6', 'printf_bin4', 'printf_char1', 'printf_char2', 'printf_flags_widths', 'printf_oct',
	'printf_print', 'printf_print_char', 'printf_print_stats', 'printf_string1', 'printf_string2',
	'string_conversions', 'string_dot', 'string_isinstr', 'string_quoted', 'string_sprintln',
	'string_str_replace', 'string_strcmp', 'string_strlen', 'string_strpos', 'string_text_str',
];

/** Shell words (single quotes, double quotes, bare words), as NAME.args holds them. */
function shellWords(line: string): string[] {
	const words: string[] = [];
	const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
	for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
	return words;
}

/** The script arguments of a case (NAME.args), or none. */
export function caseArgs(name: string): string[] {
	const argsFile = path.join(corpusDir, `${name}.args`);
	return existsSync(argsFile) ? shellWords(readFileSync(argsFile, 'utf8').trim()) : [];
}

/** The expected stdout of a case, byte for byte (latin1 keeps every byte). */
export function expectedOut(name: string): string {
	return readFileSync(path.join(corpusDir, `${name}.out`), 'latin1');
}

/**
 * NAME.err's lines must appear in stderr, in order, as line prefixes
 * ({FILE} stands for the script as named on the command line). Returns what
 * is missing, or null.
 */
export function stderrLacks(name: string, file: string, stderr: string): string | null {
	const errFile = path.join(corpusDir, `${name}.err`);
	if (!existsSync(errFile)) return null;
	const lines = stderr.split('\n');
	let at = 0;
	for (const want of readFileSync(errFile, 'latin1').split('\n').filter((l) => l.length > 0)) {
		const prefix = want.replace(/\{FILE\}/g, file);
		while (at < lines.length && !lines[at]!.startsWith(prefix)) at++;
		if (at === lines.length) return `stderr lacks ${JSON.stringify(prefix)}`;
		at++;
	}
	return null;
}

/**
 * Runs each case once, at most `parallel` at a time; every test awaits its
 * own case, so ava's inactivity timer sees progress case by case.
 */
export function caseScheduler<T>(parallel: number, runCase: (name: string) => Promise<T>): (name: string) => Promise<T> {
	const results = new Map<string, Promise<T>>();
	const waiting: (() => void)[] = [];
	let running = 0;
	return (name) => {
		let p = results.get(name);
		if (!p) {
			p = (async () => {
				while (running >= parallel) await new Promise<void>((r) => waiting.push(r));
				running++;
				try {
					return await runCase(name);
				} finally {
					running--;
					waiting.shift()?.();
				}
			})();
			results.set(name, p);
		}
		return p;
	};
}
