// The vm.* tapset (vm.stp) on the bpf runtime, from the kmem trace events:
// allocations and frees of a command the test starts, with stap's
// variables; __gfp_flag_str() on both sides from the kernel's own table.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test('vm.kmalloc, vm.kmem_cache_alloc, vm.kfree and vm.kmem_cache_free of a process: names, caller functions, sizes, pointers, GFP flag names', async (t) => {
	const script = 'probe vm.kmalloc, vm.kmem_cache_alloc { if (pid() == target()) printf("alloc %s %s %d %d %d %s\\n", name, caller_function, bytes_req <= bytes_alloc, bytes_alloc > 0, ptr != 0, gfp_flag_name) }\n'
		+ 'probe vm.kfree, vm.kmem_cache_free { if (pid() == target()) printf("free %s %s %d\\n", name, caller_function, call_site != 0) }';
	const r = await run(tapfleet, ['run', '-c', 'python3 -c "import os; [os.pipe() for _ in range(20)]"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter(Boolean);
	const allocs = lines.filter((l) => l.startsWith('alloc '));
	const frees = lines.filter((l) => l.startsWith('free '));
	t.true(allocs.some((l) => l.startsWith('alloc kmalloc ')) && allocs.some((l) => l.startsWith('alloc kmem_cache_alloc ')), r.stdout);
	for (const l of allocs) t.regex(l, /^alloc (kmalloc|kmem_cache_alloc) \w[\w.]* 1 1 1 (GFP_\w+|__GFP_\w+( \| __GFP_\w+)*)( \| 0x[0-9a-f]+)?$/);
	t.true(frees.length > 0, r.stdout);
	for (const l of frees) t.regex(l, /^free (kfree|kmem_cache_free) \w[\w.]* 1$/);
});

test('__gfp_flag_str(): a composite flag by its name, others as the single flags joined by " | ", the rest in hex; the same on the kernel side', async (t) => {
	const calls = '__gfp_flag_str(0), __gfp_flag_str(0x40), __gfp_flag_str(0x40 | 0x80), __gfp_flag_str(1 << 50)';
	const script = `probe begin { printf("user %s|%s|%s|%s\\n", ${calls}) } probe syscall.execve { if (pid() == target()) printf("kernel %s|%s|%s|%s\\n", ${calls}) }`;
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'user |__GFP_IO|__GFP_IO | __GFP_FS|0x4000000000000\nkernel |__GFP_IO|__GFP_IO | __GFP_FS|0x4000000000000\n');
});
