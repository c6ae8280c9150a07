// @cast(PTR, "TYPE" [, "MODULE"])->member... on the bpf runtime: the type
// and its members from the kernel's BTF, read in the kernel against a
// process each test starts; a fault is stap's error; what cannot be
// resolved is a located compile error.
import test from 'ava';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

const GETPPID = 'python3 -c "import os; os.getppid()"';

test('@cast reads members, member chains, char arrays, an address (&) and the i-th element; @defined of a member', async (t) => {
	const script = 'probe syscall.getppid { if (pid() == target()) { t = task_current();'
		+ ' printf("%d %d %d %d %d %d %d\\n", @cast(t, "task_struct")->pid == tid(), @cast(t, "struct task_struct", "kernel<linux/sched.h>")->real_parent->tgid == ppid(),'
		+ ' @cast(t, "task_struct", "kernel")->comm == execname(), &@cast(0, "task_struct")->pid > 0, &@cast(0, "uintptr_t")[1],'
		+ ' @defined(@cast(t, "task_struct")->pid), @defined(@cast(t, "task_struct")->nope)); exit() } }';
	const r = await run(tapfleet, ['run', '-c', GETPPID, '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1 1 8 1 0\n');
});

test('a chain that faults is stap\'s "read fault [man error::fault] at ADDRESS" error, located, status 1; try catches it', async (t) => {
	const script = 'probe syscall.getppid { if (pid() == target()) { try { println(@cast(8, "task_struct")->pid) } catch { println("caught") }'
		+ ' println(@cast(8, "task_struct")->real_parent->pid) } }';
	const r = await run(tapfleet, ['run', '-c', GETPPID, '-e', script]);
	t.is(r.status, 1);
	t.is(r.stdout, 'caught\n');
	// the address is where the pointer was to be loaded: 8 plus real_parent's offset
	t.regex(r.stderr, /^ERROR: read fault \[man error::fault\] at 0x[0-9a-f]*[1-9a-f][0-9a-f]* near operator '@cast' at <input>:1:\d+$/m);
});

test('what @cast cannot resolve is a located error: unknown type, unknown member, another module, a struct as a value', async (t) => {
	const cases: [string, RegExp][] = [
		['probe syscall.getpid { println(@cast(0, "no_such_type")->x) }', /semantic error: @cast: the kernel's BTF has no type 'no_such_type': operator '@cast' at <input>:1:32/],
		['probe syscall.getpid { println(@cast(0, "task_struct")->nope) }', /semantic error: struct task_struct has no member 'nope': operator '->' at <input>:1:55/],
		['probe syscall.getpid { println(@cast(0, "task_struct", "/bin/ls")->pid) }', /@cast: types of '\/bin\/ls' are not known/],
		['probe syscall.getpid { println(@cast(0, "task_struct")->se) }', /'@cast\(\.\.\., "task_struct"\)->se' is struct sched_entity: name a member of it/],
	];
	for (const [script, want] of cases) {
		const r = await run(tapfleet, ['compile', '-p4', '-e', script]);
		t.is(r.status, 1, script);
		t.regex(r.stderr, want, script);
	}
});

test('an address with no memory read on the way (&@cast(0, "T")[1]: sizeof.stpm\'s @cast_sizeof) works in user-side probes too', async (t) => {
	const r = await run(tapfleet, ['run', '-e', 'probe begin { printf("%d %d %d\\n", @cast_sizeof("task_struct") > 1000, &@cast(0, "task_struct")->pid > 0, @cast_module_sizeof("kernel", "struct list_head")) exit() }']);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 16\n');
});


test('&@cast(p, "T") with no member is p itself, as container_of.stpm\'s @container_of uses it; its members from there, kernel side and user side', async (t) => {
	const script = 'global done probe kernel.trace("sched:sched_switch") { if (!done && $next->pid == target()) { done = 1;'
		+ ' p = &@module_container_of(&@cast($next, "task_struct")->tasks, "kernel", "task_struct", tasks);'
		+ ' printf("%d %d %d\\n", p == $next, @cast(p, "task_struct")->pid == target(), &@cast(1234, "task_struct") == 1234) } }'
		+ ' probe end { println(&@cast(4096, "struct list_head")) }';
	const r = await run(tapfleet, ['run', '-c', '/bin/sleep 0.3', '-e', script]);
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, '1 1 1\n4096\n');
});

test('@cast with indices computed at run time: the fd table\'s pointer array (->fdt->fd[fd]: the file of the descriptor being read, its inode), a char array (->comm[i]), the i-th element of a cast pointer (&@cast(p, "T")[i]); a struct is not indexable, located', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'tapfleet-cast-'));
	const file = join(dir, 'indexed');
	writeFileSync(file, 'runtime index\n');
	const ino = statSync(file).ino;
	// the loader's reads of libraries come first: the file's read is the one whose inode is the file's ($1)
	const script = 'probe syscall.read { if (pid() == target() && execname() == "cat") { t = task_current();'
		+ ' fdt = @cast(t, "task_struct")->files->fdt; i = 1; c = @cast(t, "task_struct")->comm[i]; j = 3;'
		+ ' if (@cast(t, "task_struct")->files->fdt->fd[fd]->f_inode->i_ino == $1)'
		+ ' printf("%d %d %d\\n", c == @cast(t, "task_struct")->comm[1] && c == 97, &@cast(fdt, "struct fdtable")[j] - fdt, &@cast(0, "struct iovec")[j]) } }';
	const r = await run(tapfleet, ['run', '-c', `/bin/cat ${file}`, '-e', script, String(ino)]);
	t.is(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	t.true(lines.includes('runtime index'), r.stdout);
	const seen = lines.filter((l) => /^\d+ \d+ \d+$/.test(l));
	t.true(seen.length >= 1, r.stdout);
	const [comm, table, iovecs] = seen[0]!.split(' ');
	// comm "cat": its second char 'a', the same through a literal index
	t.is(comm, '1');
	t.true(Number(table) > 0 && Number(table) % 3 === 0, table);
	t.is(iovecs, '48');
	const bad = await run(tapfleet, ['compile', '-p4', '-e', 'probe syscall.getpid { i = 1; println(@cast(0, "task_struct")->se[i]) }']);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /'@cast\(\.\.\., "task_struct"\)->se' \(struct sched_entity\) is not an array or a pointer: operator '\[' at <input>:1:\d+/);
});
