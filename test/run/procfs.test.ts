// procfs probes on the bpf runtime, end to end on this host: as stapbpf,
// each file is a FIFO in /var/tmp/systemtap-USER/MODULE/ that taprun serves
// (runtime-c/taprun/procfs.c); reads run the read probe, writes the write
// probe. Errors of the probe points and of $value are located; a directory
// on the way that is not taprun's own is refused. (The kmod runtime's
// /proc/systemtap files: test/kmod-e2e/probe-kinds.ts.)
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

const base = `/var/tmp/systemtap-${userInfo().username}`;

/** Compiles `script` as module `name` (so its directory is known); the module's path. */
async function build(name: string, script: string): Promise<string> {
	const r = await run(tapfleet, ['compile', '-p4', '-m', name, '-e', script]);
	if (r.status !== 0) throw new Error(`compile: ${r.stderr}`);
	return r.stdout.trim();
}

interface Running {
	out: () => string;
	err: () => string;
	done: Promise<number | null>;
}

function start(module: string): Running {
	const child = spawn(tapfleet, ['run', '-T', '120', '--module', module], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
	child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
	return { out: () => out, err: () => err, done: new Promise((r) => child.on('close', r)) };
}

async function until(what: string, ok: () => boolean, r: Running): Promise<void> {
	const deadline = Date.now() + 60_000;
	while (!ok()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout ${JSON.stringify(r.out())}, stderr ${JSON.stringify(r.err())}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

/** Reads a FIFO to its end (the reader taprun waits for). */
const readFifo = (path: string): string => readFileSync(path, 'latin1');

/** One write() of `text` to a FIFO, then close. */
function writeFifo(path: string, text: string): void {
	const fd = openSync(path, constants.O_WRONLY);
	try {
		writeSync(fd, text);
	} finally {
		closeSync(fd);
	}
}

test('procfs read and write probes: FIFOs in /var/tmp/systemtap-USER/MODULE, a read runs the read probe once per reader, .maxsize() beyond MAXSTRINGLEN, writes are $value in buffer-sized runs, stap\'s modes and .umask(), subdirectories, all gone at the end', async (t) => {
	const name = `tf_procfs_${process.pid}`;
	const dir = join(base, name);
	const module = await build(name, `global n
probe procfs("count").read { $value = sprintf("%d\\n", ++n) }
probe procfs("big").read.maxsize(4096) { for (i = 0; i < 40; i++) $value .= sprintf("%049d\\n", i) }
probe procfs("short").read.maxsize(8) { $value = "0123456789" }
probe procfs("sub/dir/deep").umask(0040).read { $value = "deep\\n" }
probe procfs("ctl").write { printf("%d bytes: %s\\n", strlen($value), text_str($value)); if ($value == "stop\\n") exit() }`);
	const r = start(module);
	const ctl = join(dir, 'ctl');
	await until('the FIFOs', () => existsSync(ctl), r);
	// each reader gets the probe's text once (a second one runs it again)
	t.is(readFifo(join(dir, 'count')), '1\n');
	t.is(readFifo(join(dir, 'count')), '2\n');
	const big = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(49, '0')}\n`).join('');
	t.is(readFifo(join(dir, 'big')), big);
	// a buffer of 8 bytes holds 7 and the NUL
	t.is(readFifo(join(dir, 'short')), '0123456');
	t.is(readFifo(join(dir, 'sub/dir/deep')), 'deep\n');
	const mode = (p: string): string => (statSync(join(dir, p)).mode & 0o7777).toString(8);
	t.deepEqual(['count', 'big', 'sub/dir/deep', 'ctl'].map(mode), ['400', '400', '404', '200']);
	t.true(statSync(join(dir, 'count')).isFIFO());
	// a FIFO carries bytes, not messages: each write waits for the one before to be seen
	writeFifo(ctl, 'hello\n');
	await until('the first write', () => r.out() === '6 bytes: hello\\n\n', r);
	writeFifo(ctl, 'x'.repeat(600));
	await until('the long write', () => r.out().split('\n').length === 4, r);
	writeFifo(ctl, 'stop\n');
	t.is(await r.done, 0, r.err());
	// one write() of 600 bytes: runs of MAXSTRINGLEN - 1 bytes and the rest
	t.is(r.out(), `6 bytes: hello\\n\n511 bytes: ${'x'.repeat(511)}\n89 bytes: ${'x'.repeat(89)}\n5 bytes: stop\\n\n`);
	t.false(existsSync(dir), `${dir} is left: ${existsSync(dir) ? readdirSync(dir).join(' ') : ''}`);
});

test('procfs on bpf: a FIFO left by a killed run is replaced; a directory on the way that is a link, or not taprun\'s own, is refused before anything is made there', async (t) => {
	const name = `tf_procfs_dirs_${process.pid}`;
	const dir = join(base, name);
	const module = await build(name, 'probe procfs("x").read { $value = "fresh\\n" } probe procfs("stop").write { exit() }');
	// a stale FIFO (its run was killed): replaced, and the new one serves
	mkdirSync(dir, { recursive: true, mode: 0o755 });
	rmSync(join(dir, 'x'), { force: true });
	execFileSync('mkfifo', ['-m', '0600', join(dir, 'x')]);
	const r = start(module);
	await until('the FIFO', () => existsSync(join(dir, 'stop')), r);
	t.is(readFifo(join(dir, 'x')), 'fresh\n');
	writeFifo(join(dir, 'stop'), '1');
	t.is(await r.done, 0, r.err());
	t.false(existsSync(dir));

	// the module's directory is a link to elsewhere: refused, nothing made at its target
	const elsewhere = mkdtempSync(join(tmpdir(), 'tf-procfs-'));
	symlinkSync(elsewhere, dir);
	try {
		const linked = start(module);
		t.is(await linked.done, 1);
		t.regex(linked.err(), new RegExp(`procfs files of ${name}: cannot open ${name}: not a directory \\(a link\\?\\)`));
		t.deepEqual(readdirSync(elsewhere), []);
	} finally {
		rmSync(dir);
	}
	// a directory others may write to: refused
	mkdirSync(dir);
	chmodSync(dir, 0o777); // not through the umask
	try {
		const open = start(module);
		t.is(await open.done, 1);
		t.regex(open.err(), new RegExp(`${name} is not a directory of this user's that only it can write`));
		t.deepEqual(readdirSync(dir), []);
	} finally {
		rmSync(dir, { recursive: true });
	}
});

test('procfs probe points and $value: errors located as stap words them', async (t) => {
	const cases: [string, RegExp][] = [
		['probe procfs.read { println($value) }', /procfs \$value variable cannot be read in a procfs read probe: identifier '\$value' at <input>:1:29/],
		['probe procfs.write { $value = "x" }', /procfs \$value variable cannot be written in a procfs write probe: identifier '\$value' at <input>:1:22/],
		['probe procfs.read { $value = "a" } probe procfs.read { $value = "b" }', /only one read procfs probe can exist for procfs path "command": keyword at <input>:1:36/],
		['probe procfs("../x").read { $value = "1" }', /procfs path '\.\.\/x' is not a relative path of names made of letters, digits, '_', '-' and '\.': identifier 'procfs' at <input>:1:7/],
		['probe procfs("/etc/x").read { $value = "1" }', /procfs path '\/etc\/x' is not a relative path/],
		['probe procfs.read.maxsize(0) { $value = "1" }', /expected a size from 1 to 1048576 bytes for procfs\.read\.maxsize: identifier 'maxsize' at <input>:1:19/],
		['probe procfs.read.maxsize(1048577) { $value = "1" }', /expected a size from 1 to 1048576 bytes/],
		['probe procfs.umask(01000).read { $value = "1" }', /expected a umask from 0 to 0777 for procfs\.umask: identifier 'umask' at <input>:1:14/],
		['probe procfs.write.maxsize(10) { }', /probe point mismatch/],
		['probe procfs.umask(0400).read { $value = "1" }', /procfs\.umask\(0400\) takes the owner's read permission from a read probe's file: identifier 'procfs' at <input>:1:7/],
		['probe procfs.umask(0222).write { }', /procfs\.umask\(0222\) takes the owner's write permission from a write probe's file/],
		['probe procfs("a").read { $value = "1" } probe procfs("a/b").read { $value = "1" }', /procfs path "a" is a file and a directory of "a\/b": keyword at <input>:1:1/],
		['probe begin { $value = "a" }', /unable to find tracepoint variable '\$value'/],
	];
	for (const [script, message] of cases) {
		const r = await run(tapfleet, ['compile', '-p2', '-e', script]);
		t.is(r.status, 1, script);
		t.regex(r.stderr, message, script);
	}
	// the largest buffer is allowed
	const max = await run(tapfleet, ['compile', '-p2', '-e', 'probe procfs.read.maxsize(1048576) { $value = "1" }']);
	t.is(max.status, 0, max.stderr);
	// at most 64 FIFOs on bpf: 64 compile, 65 do not
	const files = (n: number) => Array.from({ length: n }, (_, i) => `probe procfs("f${i}").read { $value = "${i}" }`).join(' ');
	t.is((await run(tapfleet, ['compile', '-p3', '-e', files(64)])).status, 0);
	const many = await run(tapfleet, ['compile', '-p3', '-e', files(65)]);
	t.is(many.status, 1);
	t.regex(many.stderr, /^<input>:1:\d+: more than 64 procfs files: the bpf runtime serves each FIFO with a thread of its own$/m);
	// a FIFO is read or written: both on one file is the kmod runtime's only
	const both = await run(tapfleet, ['compile', '-p3', '-e', 'probe procfs("f").read { $value = "a" } probe procfs("f").write { }']);
	t.is(both.status, 1);
	t.regex(both.stderr, /<input>:1:41: procfs file "f" has a read and a write probe: the bpf runtime's procfs files are FIFOs, read or written \(the kmod runtime allows both\)/);
});

test('the prometheus probe: stap\'s @prometheus_dump_array macros fill the __prometheus file a Prometheus exporter reads', async (t) => {
	const name = `tf_prometheus_${process.pid}`;
	const dir = join(base, name);
	const module = await build(name, `global hits
probe timer.ms(10) { hits["tick", "a\\"b"]++ }
probe prometheus { @prometheus_dump_array2(hits, "tapfleet_ticks", "kind", "label") }
probe procfs("stop").write { exit() }`);
	const r = start(module);
	await until('the FIFOs', () => existsSync(join(dir, 'stop')), r);
	await new Promise((resolve) => setTimeout(resolve, 300));
	const text = readFifo(join(dir, '__prometheus'));
	// one line per element, its labels quoted as string_quoted() does
	t.regex(text, /^tapfleet_ticks\{kind="tick",label="a\\"b"\} [1-9]\d*\n$/);
	writeFifo(join(dir, 'stop'), '1');
	t.is(await r.done, 0, r.err());
});
