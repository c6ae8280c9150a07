// What a long-lived process (the warm runner) keeps from one run to the
// next, and when it must not: a value made from a file while the file is
// the same file; a compiler's version while PATH finds the same program;
// our tapsets' parse while everything it depends on is the same. Each is
// checked to be reused, to be made again when what it came from changes,
// and (the tapsets) to give the same program as a parse of its own.
import test from 'ava';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, cpSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptWhileFileUnchanged } from '../../controller/util/file-kept.js';
import { forgetCommandCaches } from '../../controller/util/command-cache.js';
import { toolVersion, toolVersionAsync } from '../../controller/build/toolchain.js';
import { treeStampsWatched, watchTreeStamps } from '../../controller/build/tree-stamp.js';
import { defaultTapsetDir, parseTapsets } from '../../controller/elaborate/library.js';
import { newSession } from '../../controller/parse/index.js';
import { profileToPreprocessorTarget } from '../../controller/profile/preprocessor-target.js';
import { elaborate, localProfile } from '../elaborate/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-kept-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('a value made from a file is kept while the file is the same file', (t) => {
	const path = join(work, 'data.txt');
	writeFileSync(path, 'one');
	let made = 0;
	const read = keptWhileFileUnchanged((p) => {
		made++;
		return readFileSync(p, 'utf8');
	}, 2);
	t.is(read(path), 'one');
	t.is(read(path), 'one');
	t.is(made, 1);
	// rewritten in place (another size, another mtime)
	writeFileSync(path, 'three');
	t.is(read(path), 'three');
	t.is(made, 2);
	// replaced by rename with the same size and text: another inode
	const next = join(work, 'data.next');
	writeFileSync(next, 'three');
	renameSync(next, path);
	t.is(read(path), 'three');
	t.is(made, 3);
	// at most two kept: the least recently used goes first
	const others = ['a', 'b'].map((n) => join(work, `other-${n}.txt`));
	for (const o of others) writeFileSync(o, o);
	read(path); // (kept, used last)
	read(others[0]!); // made; kept: path, a
	t.is(made, 4);
	read(path); // kept; path used last
	read(others[1]!); // made; a goes
	t.is(made, 5);
	read(path);
	t.is(made, 5, 'the one in use stays');
	read(others[0]!);
	t.is(made, 6, 'the least recently used went');
	// a file that is not there: make's own error, every time, nothing kept
	rmSync(path);
	t.throws(() => read(path), { code: 'ENOENT' });
	t.throws(() => read(path), { code: 'ENOENT' });
	t.is(made, 8);
});

test.serial("a compiler's version is asked once while PATH finds the same program", async (t) => {
	const bin = mkdtempSync(join(work, 'bin-'));
	const tool = join(bin, 'tapfleet-test-cc');
	const ran = join(work, 'ran');
	writeFileSync(ran, '');
	const writeTool = (version: string) => {
		writeFileSync(tool, `#!/bin/sh\necho run >> ${ran}\necho "${version}"\necho second line\n`);
		chmodSync(tool, 0o755);
	};
	const runs = () => readFileSync(ran, 'utf8').split('\n').filter(Boolean).length;
	const path = process.env.PATH;
	process.env.PATH = `${bin}:${path}`;
	try {
		writeTool('test cc 1.0');
		t.is(await toolVersionAsync('tapfleet-test-cc'), 'test cc 1.0');
		forgetCommandCaches(); // as the warm runner does before each run
		t.is(toolVersion('tapfleet-test-cc'), 'test cc 1.0');
		t.is(await toolVersionAsync('tapfleet-test-cc'), 'test cc 1.0');
		t.is(runs(), 1);
		// the program changed (an upgrade): asked again
		writeTool('test cc 2.0 (upgraded)');
		forgetCommandCaches();
		t.is(toolVersion('tapfleet-test-cc'), 'test cc 2.0 (upgraded)');
		t.is(runs(), 2);
		// PATH now finds another program of that name first: that one's version
		const other = mkdtempSync(join(work, 'bin-'));
		writeFileSync(join(other, 'tapfleet-test-cc'), '#!/bin/sh\necho "other cc 3"\n');
		chmodSync(join(other, 'tapfleet-test-cc'), 0o755);
		process.env.PATH = `${other}:${bin}:${path}`;
		t.is(toolVersion('tapfleet-test-cc'), 'other cc 3');
		// a file of that name that cannot be executed is passed over, as execvp does
		chmodSync(join(other, 'tapfleet-test-cc'), 0o644);
		t.is(toolVersion('tapfleet-test-cc'), 'test cc 2.0 (upgraded)');
		t.is(runs(), 2);
		// gone from PATH: the error pass 4 gives, not a remembered version
		process.env.PATH = path;
		t.throws(() => toolVersion('tapfleet-test-cc'), { message: 'tapfleet-test-cc is not installed (pass 4 needs clang and cc)' });
		await t.throwsAsync(toolVersionAsync('tapfleet-test-cc'), { message: 'tapfleet-test-cc is not installed (pass 4 needs clang and cc)' });
	} finally {
		process.env.PATH = path;
	}
});

// Scripts that lean on the tapsets in different ways: aliases and functions, a tapset global with a
// probe of its own (argv), the syscall tapset made from the profile, user functions named as tapset
// ones (overloads are numbered across files), an error inside a tapset function's use.
const scripts: { text: string; guru?: boolean }[] = [
	{ text: 'probe begin { println(execname(), pid()) exit() }' },
	{ text: 'probe syscall.openat { printf("%s: %s\\n", execname(), argstr) }' },
	{ text: 'probe begin { println(argv[1]) exit() }' },
	{ text: 'function execname:string() { return "mine" } probe begin { println(execname()) exit() }' },
	{ text: 'function pid() { return 1 } function pid() { return 2 } probe begin { println(pid()) }' },
	{ text: 'probe begin { println(user_string(0, 1, 2, 3)) }' },
	{ text: 'probe kernel.trace("sched:sched_switch") { println($prev->comm$) }', guru: true },
	{ text: 'probe vfs.read { println(devname) }' },
];

test.serial('a kept tapset parse gives the program a parse of its own gives, and is made again when its inputs change', async (t) => {
	const profile = await localProfile();
	// every script elaborated with the tapsets parsed for it alone (nothing is kept before watching starts)
	t.false(treeStampsWatched());
	const fresh = scripts.map((s) => elaborate(profile, s.text, { guru: s.guru }));
	t.true(fresh.some((r) => r.program) && fresh.some((r) => !r.program), 'both programs and errors are compared');
	watchTreeStamps();
	// twice each, in an order where each follows another script, then backwards
	for (const order of [scripts.keys(), [...scripts.keys()].reverse()]) {
		for (const i of order) {
			const again = elaborate(profile, scripts[i]!.text, { guru: scripts[i]!.guru });
			t.is(again.listing, fresh[i]!.listing, scripts[i]!.text);
			t.is(again.stderr, fresh[i]!.stderr, scripts[i]!.text);
		}
	}
	const target = profileToPreprocessorTarget(profile);
	const first = parseTapsets(newSession(target), profile);
	t.is(parseTapsets(newSession(target), profile), first, 'the same inputs: the same parse');
	t.not(parseTapsets(newSession(profileToPreprocessorTarget(profile, { guruMode: true })), profile), first, 'another target: parsed anew');
	t.not(parseTapsets(newSession(target, ['an argument']), profile), first, 'other script arguments: parsed anew');
	// the user's files declared a name the tapsets declare: the tapsets' overloads are numbered after them
	const second = parseTapsets(newSession(target), profile);
	const overloaded = newSession(target);
	overloaded.overloads.set('execname', 1);
	const numbered = parseTapsets(overloaded, profile);
	t.not(numbered, second);
	const execname = (files: typeof first) => files.flatMap((f) => f.functions).find((f) => f.unmangledName === 'execname')!.name;
	t.regex(execname(numbered), /__overload_1$/);
	t.regex(execname(second), /__overload_0$/);
	// reused, the session counts the tapsets' declarations as a parse would have
	const counted = newSession(target);
	parseTapsets(counted, profile);
	const reused = newSession(target);
	t.is(parseTapsets(reused, profile), parseTapsets(newSession(target), profile));
	t.deepEqual([...reused.overloads].sort(), [...counted.overloads].sort());
	// a tapset file edited: parsed anew (the directory is watched, so the change is seen at once)
	const dir = join(work, 'tapsets');
	cpSync(defaultTapsetDir(), dir, { recursive: true });
	const before = parseTapsets(newSession(target), profile, dir);
	t.is(parseTapsets(newSession(target), profile, dir), before);
	appendFileSync(join(dir, 'context.stp'), '\nfunction tapfleet_test_added:long() { return 42 }\n');
	await new Promise((r) => setTimeout(r, 200)); // the watch's event
	const after = parseTapsets(newSession(target), profile, dir);
	t.not(after, before);
	t.true(after.some((f) => f.functions.some((fn) => fn.unmangledName === 'tapfleet_test_added')));
	// a parse with a message is not kept: the message comes with every run
	writeFileSync(join(dir, 'broken.stp'), 'function tapfleet_test_broken() { x = }\n');
	await new Promise((r) => setTimeout(r, 200));
	const s1 = newSession(target);
	const b1 = parseTapsets(s1, profile, dir);
	const s2 = newSession(target);
	t.not(parseTapsets(s2, profile, dir), b1);
	t.true(s1.diags.errorCount > 0);
	t.is(s2.diags.render(), s1.diags.render());
});
