// File-level declarations of the script's globals, in the runtime API's
// terms: the struct of scalar globals (one mmap-able entry shared by both
// sides), a key struct and TAP_ARRAY per array, a TAP_STAT_DESC /
// TAP_STAT_VALUE / TAP_STATS triple per statistic.
import type { GlobalVar } from '../elaborate/program.js';
import type { ModuleContext } from './module-context.js';
import { TranslateError } from './module-context.js';

function histogramOf(g: GlobalVar): { type: string; params: [string, string, string, string] } {
	const u = g.stats;
	if (u?.histLog) {
		if (u.histLinear.length) throw new TranslateError(g.tok, `statistic ${g.name}: @hist_log and @hist_linear together are not supported by the bpf runtime yet`);
		return { type: 'TAP_HIST_LOG', params: ['0', '0', '0', 'TAP_HIST_LOG_BUCKETS'] };
	}
	if (u && u.histLinear.length) {
		if (u.histLinear.length > 1) throw new TranslateError(g.tok, `statistic ${g.name}: several @hist_linear shapes are not supported by the bpf runtime yet`);
		const { lo, hi, step } = u.histLinear[0]!;
		return { type: 'TAP_HIST_LINEAR', params: [String(lo), String(hi), String(step), `TAP_LINEAR_BUCKETS(${lo}, ${hi}, ${step})`] };
	}
	return { type: 'TAP_HIST_NONE', params: ['0', '0', '0', '0'] };
}

export function globalDeclarations(mod: ModuleContext): string[] {
	const out: string[] = [];
	const scalars = mod.program.globals.filter((g) => !mod.isArrayLike(g));
	if (scalars.length) {
		out.push('struct tap_globals {');
		for (const g of scalars) out.push(`\t${g.type === 'string' ? 'tap_string' : 'tap_long'} ${mod.global(g)};\t/* ${g.name} */`);
		out.push('};', 'TAP_GLOBALS(struct tap_globals);', '');
	}
	for (const g of mod.program.globals.filter((x) => mod.isArrayLike(x))) {
		const n = mod.global(g);
		const keys = g.keys ?? [];
		out.push(`/* global ${g.name}${keys.length ? `[${keys.join(', ')}]` : ''}: ${g.type} */`);
		if (g.keys) {
			const column = (k: string, i: number): string => (k !== 'string' ? 'tap_long' : mod.commKeyColumn(g, i) ? 'tap_comm_key' : 'tap_key_string');
			out.push(`struct ${n}_key {`, ...keys.map((k, i) => `\t${column(k, i)} k${i};`), '};');
		}
		const keyType = g.keys ? `struct ${n}_key` : '__u32';
		if (g.type === 'stats') {
			const h = histogramOf(g);
			const shift = g.stats?.variance ?? 0;
			out.push(`TAP_STAT_DESC(${n}, ${h.type}, ${h.params.join(', ')}, ${shift});`);
			out.push(`TAP_STAT_VALUE(${n}, ${h.params[3]});`);
			out.push(`TAP_STATS(${n}, ${keyType}, ${g.maxSize});`);
		} else {
			out.push(`TAP_ARRAY(${n}, ${keyType}, ${g.type === 'string' ? 'tap_string' : 'tap_long'}, ${g.maxSize});`);
		}
		out.push('');
	}
	return out;
}

/** The user side's table of maps it reaches (arrays and statistics). */
export function mapTable(mod: ModuleContext): string[] {
	const maps = mod.program.globals.filter((g) => mod.isArrayLike(g)).map((g) => `&${mod.global(g)}`);
	return maps.length ? [`static struct tap_map *const tap_maps[] = { ${maps.join(', ')} };`] : [];
}
