// foreach (sorted too), array slices and whole-array deletes in kernel-side probes (bpf):
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

// The same function sorts on both sides: the kernel side (by selection, one
// map walk a round) must give the user side's order, line for line.
test('kernel side: sorted foreach by value and by key, both directions, limit, slices, string and statistics arrays, break and next: the user side\'s order', async (t) => {
	const script = `global a, names, s, seen, after
function sorts() {
	foreach (k in a-) printf("%d ", k); println("")
	foreach (k in a+ limit 3) printf("%d ", k); println("")
	foreach ([k-] in a) printf("%d ", k); println("")
	foreach (v = [k] in a- limit 2) printf("%d=%d ", k, v); println("")
	foreach ([p, i] in names+) printf("%s%d ", p, i); println("")
	foreach (nv = [p-, i] in names) printf("%s%d=%s ", p, i, nv); println("")
	foreach ([p, i+] in names["a", *]) printf("%s%d ", p, i); println("")
	foreach (sk in s-) printf("%s ", sk); println("")
	foreach (sk in s @sum+) printf("%s ", sk); println("")
	foreach (sk in s @avg- limit 2) printf("%s ", sk); println("")
	foreach (k in a-) { if (k == 5) break; printf("%d ", k) } println("")
	foreach (k in a+) { if (k < 5) continue; printf("%d ", k) } println("")
}
${PROBE} {
	if (pid() != target() || seen++) next
	a[1] = 20; a[2] = 5; a[3] = 20; a[4] = -7; a[5] = 9
	names["b", 2] = "x"; names["a", 9] = "y"; names["a", 1] = "x"; names["c", 0] = "a"
	s["p"] <<< 10; s["p"] <<< 30; s["q"] <<< 100; s["r"] <<< 1; s["r"] <<< 2; s["r"] <<< 3
	sorts()
	println("--")
	foreach (k in a-) if (k == 3) next
	after = 1
}
probe end { sorts(); printf("after next: %d\\n", after) }`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-e', script]);
	t.is(r.status, 0, r.stderr);
	const expected = ['1 3 5 2 4 ', '4 2 5 ', '5 4 3 2 1 ', '1=20 3=20 ', 'c0 a1 b2 a9 ', 'c0=a b2=x a1=x a9=y ', 'a1 a9 ', 'r p q ', 'r p q ', 'q p ', '1 3 ', '5 '].join('\n') + '\n';
	t.is(r.stdout, `${expected}--\n${expected}after next: 0\n`);
});

test('kernel side: a sorted foreach over a full map (300 of its 300 elements), and with a string value variable', async (t) => {
	const script = `global a[300], w, seen
${PROBE} {
	if (pid() != target() || seen++) next
	for (i = 0; i < 300; i++) a[i] = (i * 7919) % 300
	n = 0; last = -1; ok = 1
	foreach (k in a+) { if (a[k] <= last) ok = 0; last = a[k]; n++ }
	w["x"] = "b"; w["y"] = "a"; w["z"] = "c"
	foreach (wv = [wk] in w+) printf("%s%s ", wk, wv)
	printf("%d %d %d\\n", n, ok, last)
	exit()
}`;
	const r = await run(tapfleet, ['run', '-c', 'true', '-D', 'MAXACTION=100000', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'ya xb zc 300 1 299\n');
});
