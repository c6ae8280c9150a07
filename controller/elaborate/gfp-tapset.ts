// `__gfp_flag_str(flags)` for the vm.* tapset (vm.stp), generated from the
// target kernel's own table of GFP flag names: the print fmt of its
// kmem:kmalloc trace event (print-flags.ts). As stap's: the name of the
// one composite flag set (GFP_KERNEL) the value equals, else the names of
// the single flags it has, joined by " | "; what no name covers is shown
// in hex.
import type { KernelProfile } from '../profile/types.js';
import { type FlagName, printFlagsTable } from './print-flags.js';

export const GFP_TAPSET_NAME = '<GFP flags from the kernel profile>';

/** The GFP flag table of the target kernel, from the first kmem event that prints one. */
export function gfpFlagTable(profile: KernelProfile): FlagName[] | null {
	for (const event of ['kmalloc', 'kmem_cache_alloc', 'mm_page_alloc']) {
		const tp = profile.tracepoints.find((t) => t.system === 'kmem' && t.name === event);
		const table = tp?.printFmt ? printFlagsTable(tp.printFmt, 'gfp_flags') : null;
		if (table) return table;
	}
	return null;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;
const isSingleBit = (v: bigint) => v !== 0n && (v & (v - 1n)) === 0n;

export function gfpTapsetText(profile: KernelProfile): string {
	const table = gfpFlagTable(profile) ?? [];
	// one name per value: the first composite; for a single flag its __GFP_ name (GFP_DMA is __GFP_DMA)
	const exact = [...new Map(table.filter((f) => !isSingleBit(f.value) && f.value !== 0n).reverse().map((f) => [f.value, f])).values()].reverse();
	const bitNames = new Map<bigint, FlagName>();
	for (const f of table.filter((x) => isSingleBit(x.value))) if (!bitNames.has(f.value) || f.name.startsWith('__GFP_')) bitNames.set(f.value, f);
	const bits = [...bitNames.values()].sort((a, b) => (a.value < b.value ? -1 : 1));
	const lines = [
		'// Generated from the kernel profile\'s kmem trace event print fmt.',
		'function __gfp_flag_str:string (gfp_flag:long)',
		'{',
		...exact.map((f) => `\tif (gfp_flag == ${hex(f.value)}) return "${f.name}"`),
		'\tname = ""',
		'\trest = gfp_flag',
		...bits.map((f) => `\tif (gfp_flag & ${hex(f.value)}) { name .= (name == "" ? "" : " | ") . "${f.name}"; rest &= ~${hex(f.value)} }`),
		'\tif (rest) name .= (name == "" ? "" : " | ") . sprintf("%#x", rest)',
		'\treturn name',
		'}',
	];
	return lines.join('\n') + '\n';
}
