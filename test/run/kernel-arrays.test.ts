// foreach, array slices and whole-array deletes in kernel-side probes (bpf):
// each a bpf_for_each_map_elem() walk, as SystemTap's syscallsbypid.stp
// needs (`delete a[pid(), *]` in a syscall probe). What is left is read back
// in the end probe, on the user side.
import test from 'ava';
import { run, tapfleet } from '../parse/helpers.js';

const PROBE = 'probe kernel.trace("raw_syscalls:sys_enter")';

test('kernel side: delete a[k, *] and a[*, "s"], [k, *] in a, delete of a whole array and of statistics', async (t) => {
	const script = `global a, b, s, c, seen
${PROBE} {
	if (pid() != target() || seen++) next
	a[1, 10] = 1; a[1, 11] = 2; a[2, 10] = 3; a[3, 12] = 4
	b["x", 1] = 1; b["y", 1] = 2; b["x", 2] = 3
	s[1] <<< 5; s[2] <<< 6
	c[7] = 7
	printf("%d %d %d\\n", [1, *] in a, [*, 12] in a, [4, *] in a)
	delete a[1, *]
	delete b[*, 1]
	printf("%d %d\\n", [1, *] in a, [*, 10] in a)
	delete s
	delete c
	k = "x"
	printf("%d %d\\n", [k, *] in b, ["y", *] in b)
	exit()
}
probe end {
	foreach ([x, y] in a+) printf("a[%d,%d]=%d\\n", x, y, a[x, y])
	foreach ([p, q] in b) printf("b[%s,%d]=%d\\n", p, q, b[p, q])
	printf("s %d c %d\\n", @count(s[1]), [7] in c)
}`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 0\n0 1\n1 0\na[2,10]=3\na[3,12]=4\nb[x,2]=3\ns 0 c 0\n');
});

test('kernel side: a slice inside a loop and in a script function', async (t) => {
	const script = `global a, seen
function drop(k) { delete a[k, *]; return [k, *] in a }
${PROBE} {
	if (pid() != target() || seen++) next
	for (i = 0; i < 5; i++) { a[i, i] = i; a[i, i + 1] = i }
	n = 0
	for (i = 0; i < 5; i++) if ([i, *] in a && i % 2 == 0) n += 1 + drop(i)
	printf("%d\\n", n)
	exit()
}
probe end { foreach ([x, y+] in a) printf("%d,%d ", x, y); println("") }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '3\n1,1 1,2 3,3 3,4 \n');
});

test('kernel side: foreach (unsorted) with keys, a value variable, limit, a slice, string and statistics arrays, break, continue, next and return', async (t) => {
	const script = `global a, names, s, seen, after
function first_over(x) { foreach (k in a) if (k > x) return k; return -1 }
${PROBE} {
	if (pid() != target() || seen++) next
	a[1] = 2; a[3] = 4; a[5] = 6
	names["x", 1] = "y"; names["x", 2] = "z"; names["w", 1] = "v"
	s[1] <<< 3; s[1] <<< 5; s[2] <<< 10
	n = 0; foreach (k in a) n += k
	m = 0; foreach (v = [k] in a) m += v
	c = 0; foreach (k in a limit 2) c++
	q = 0; foreach ([p, i] in names["x", *]) q += i
	z = 0; foreach (k in s) z += @sum(s[k])
	w = 0; foreach (k in a) { if (k == 3) continue; w += k }
	b = 0; foreach (k in a) { b++; break }
	printf("%d %d %d %d %d %d %d %d\\n", n, m, c, q, z, w, b, first_over(4))
	foreach (k in a) if (k == 5) next
	after = 1
}
probe end { printf("after next: %d\\n", after) }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '9 12 2 3 18 6 1 5\nafter next: 0\n');
});

test('kernel side: a sorted foreach is a located compile error that says where sorting works', async (t) => {
	const r = await run(tapfleet, ['compile', '-p3', '-e', `global a ${PROBE} { a[tid()] = 1; foreach ([k] in a-) println(k) }`]);
	t.is(r.status, 1);
	t.regex(r.stderr, /^<input>:1:\d+: a sorted foreach \(sorting is done on the user side: in a begin, end or timer probe\) is not supported in kernel-side probes by the bpf runtime yet$/m);
});
