// The vm.* tapset (vm.stp) on the bpf runtime, from the kmem trace events:
// allocations and frees of a command the test starts, with stap's
// variables; __gfp_flag_str() on both sides from the kernel's own table;
// vm.pagefault from the x86 exception events. Serial: a kmem probe counts
// as skipped each allocation made inside another BPF program (another
// session's map updates), and too many end a session.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

test.serial('vm.kmalloc, vm.kmem_cache_alloc, vm.kfree and vm.kmem_cache_free of a process: names, caller functions, sizes, pointers, GFP flag names', async (t) => {
	const script = 'probe vm.kmalloc, vm.kmem_cache_alloc { if (pid() == target()) printf("alloc %s %s %d %d %d %s\\n", name, caller_function, bytes_req <= bytes_alloc, bytes_alloc > 0, ptr != 0, gfp_flag_name) }\n'
		+ 'probe vm.kfree, vm.kmem_cache_free { if (pid() == target()) printf("free %s %s %d\\n", name, caller_function, call_site != 0) }';
	// A kmalloc made while another BPF program runs on the CPU (any session's, another test's: map updates,
	// program loads) is a skipped probe; the host's other BPF work is not this test's subject
	const r = await run(tapfleet, ['run', '-D', 'MAXSKIPPED=1000000', '-c', 'python3 -c "import os; [os.pipe() for _ in range(20)]"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n').filter(Boolean);
	const allocs = lines.filter((l) => l.startsWith('alloc '));
	const frees = lines.filter((l) => l.startsWith('free '));
	t.true(allocs.some((l) => l.startsWith('alloc kmalloc ')) && allocs.some((l) => l.startsWith('alloc kmem_cache_alloc ')), r.stdout);
	for (const l of allocs) t.regex(l, /^alloc (kmalloc|kmem_cache_alloc) \w[\w.]* 1 1 1 (GFP_\w+|__GFP_\w+( \| __GFP_\w+)*)( \| 0x[0-9a-f]+)?$/);
	t.true(frees.length > 0, r.stdout);
	for (const l of frees) t.regex(l, /^free (kfree|kmem_cache_free) \w[\w.]* 1$/);
});

test.serial('__gfp_flag_str(): a composite flag by its name, others as the single flags joined by " | ", the rest in hex; the same on the kernel side', async (t) => {
	const calls = '__gfp_flag_str(0), __gfp_flag_str(0x40), __gfp_flag_str(0x40 | 0x80), __gfp_flag_str(1 << 50)';
	const script = `probe begin { printf("user %s|%s|%s|%s\\n", ${calls}) } probe syscall.execve { if (pid() == target()) printf("kernel %s|%s|%s|%s\\n", ${calls}) }`;
	const r = await run(tapfleet, ['run', '-c', '/bin/true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'user |__GFP_IO|__GFP_IO | __GFP_FS|0x4000000000000\nkernel |__GFP_IO|__GFP_IO | __GFP_FS|0x4000000000000\n');
});

test.serial('vm.pagefault without kprobes: the x86 exception trace events, the faulting address and whether it wrote, of a process that touches fresh pages; vm_fault_contains() of the kernel\'s bits; vm.pagefault.return needs kprobes, which this kernel lacks', async (t) => {
	// a bytearray of 4 MiB: its pages are written, fresh, so each is a fault; the address is in the process's memory
	const script = 'global n, w, a probe vm.pagefault { if (pid() == target()) { n++; w += write_access; if (address > 0 && address < 0x800000000000) a++ } }'
		+ ' probe end { printf("%d %d %d\\n", n >= 1024, w >= 1024, a == n) }';
	const r = await run(tapfleet, ['run', '-c', 'exec python3 -c "b = bytearray(4 << 20)"', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1\n');
	const named = await run(tapfleet, ['run', '-c', 'true', '-e', 'global s probe vm.pagefault { if (pid() == target() && s == "") s = name } probe end { println(s) }']);
	t.is(named.stdout, 'pagefault\n', named.stderr);
	// OOM 0x1, SIGBUS 0x2, MAJOR 0x4, NOPAGE 0x100, LOCKED 0x200; a minor fault has none of the first three
	const table = await run(tapfleet, ['run', '-e', 'probe begin { printf("%d%d%d%d %d%d %d%d %d%d%d\\n", vm_fault_contains(0, VM_FAULT_MINOR), vm_fault_contains(0x100, VM_FAULT_MINOR),'
		+ ' vm_fault_contains(0x4, VM_FAULT_MINOR), vm_fault_contains(0x4, VM_FAULT_MAJOR), vm_fault_contains(0x1, VM_FAULT_OOM), vm_fault_contains(0x2, VM_FAULT_SIGBUS),'
		+ ' vm_fault_contains(0x300, VM_FAULT_NOPAGE), vm_fault_contains(0x300, VM_FAULT_LOCKED), vm_fault_contains(0x40, VM_FAULT_ERROR), vm_fault_contains(0x100, VM_FAULT_ERROR), vm_fault_contains(0x4, 99)); exit() }']);
	t.is(table.stdout, '1101 11 11 100\n', table.stderr);
	const ret = await run(tapfleet, ['compile', '-p2', '-e', 'probe vm.pagefault.return { println(fault_type) }']);
	t.is(ret.status, 1);
	t.regex(ret.stderr, /kernel\.function probes need kprobes/);
});
