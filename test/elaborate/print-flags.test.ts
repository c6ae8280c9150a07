// The kernel's flag tables from trace event print fmts (print-flags.ts):
// C constant expressions as the preprocessor leaves them, and the GFP
// names the vm.* tapset gives from this host's own table.
import test from 'ava';
import { gfpFlagTable, gfpTapsetText } from '../../controller/elaborate/gfp-tapset.js';
import { evalCConstant, printFlagsTable } from '../../controller/elaborate/print-flags.js';
import { localProfile } from './helpers.js';

test('C constant expressions: casts, shifts, |, & and ~ in 64-bit unsigned arithmetic; anything else is null', (t) => {
	t.is(evalCConstant('(( gfp_t)((((1UL))) << (10)))'), 1024n);
	t.is(evalCConstant('( unsigned long)((( gfp_t)(((((1UL))) << (10))|((((1UL))) << (11)))) & ~(( gfp_t)((((1UL))) << (10))))'), 2048n);
	t.is(evalCConstant('(( gfp_t)0x400u)|(( gfp_t)0x800u)'), 0xc00n);
	t.is(evalCConstant('~0UL'), (1n << 64n) - 1n);
	t.is(evalCConstant('1 + 2 * 3'), 7n);
	t.is(evalCConstant('GFP_KERNEL'), null);
	t.is(evalCConstant('(1 << 3'), null);
});

test('a __print_flags table of a print fmt, in order; none, or a value that is not a constant, is null', (t) => {
	const fmt = '"gfp_flags=%s", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|", {( unsigned long)(((( gfp_t)0x400u)|(( gfp_t)0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u)), "GFP_KERNEL"}, {( unsigned long)(( gfp_t)0x100u), "__GFP_ZERO"}) : "none"';
	t.deepEqual(printFlagsTable(fmt, 'gfp_flags'), [{ name: 'GFP_KERNEL', value: 0xcc0n }, { name: '__GFP_ZERO', value: 0x100n }]);
	t.is(printFlagsTable(fmt, 'other'), null);
	t.is(printFlagsTable('__print_flags(REC->gfp_flags, "|", {SOME_MACRO, "X"})', 'gfp_flags'), null);
});

test('this kernel\'s GFP table: its composite and single flags, and __gfp_flag_str() made from it', async (t) => {
	const p = await localProfile();
	const table = gfpFlagTable(p);
	t.truthy(table, 'kmem:kmalloc prints gfp_flags with a table here');
	const byName = new Map(table!.map((f) => [f.name, f.value]));
	t.is(byName.get('__GFP_IO'), 0x40n);
	t.is(byName.get('GFP_KERNEL')! & 0x40n, 0x40n);
	const text = gfpTapsetText(p);
	t.true(text.includes(`if (gfp_flag == 0x${byName.get('GFP_KERNEL')!.toString(16)}) return "GFP_KERNEL"`));
	// a single flag once, by its __GFP_ name
	t.is(text.match(/"__GFP_DMA"/g)?.length, 1);
	t.false(text.includes('"GFP_DMA"'));
});
