// A uprobe is an offset into one build of a file: a module compiled for one
// build of a program must not attach to another build at the same path
// (there the offset may be mid-instruction). Two builds of a small C
// program with the probed function at different offsets; the module
// compiled for the first runs against the first, and taprun refuses the
// second (stap's "Build-id mismatch") and a missing file before anything
// loads, directly and through an agent to `tapfleet run --host`.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfFunctions } from '../../controller/elaborate/elf-symbols.js';
import { ManifestError, parseManifest } from '../../controller/module/manifest.js';
import { elfBuildId } from '../../controller/module/user-files.js';
import { clientFor, inProcessAgent, runCli, taprunProcessesUnder, testPki } from '../agent/helpers.js';
import { runTaprun, TaprunProcess } from '../runtime-c/helpers/taprun.js';

const PROGRAM = `#include <stdio.h>
#include <stdlib.h>
#ifdef PAD
__attribute__((noinline)) int pad(int x)
{
	volatile int s = 0;

	for (int i = 0; i < x; i++)
		s += (i * x) ^ (s >> 3);
	return s;
}
#endif
__attribute__((noinline)) int target_fn(int x) { return x * 3 + 1; }
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
#ifdef PAD
	n += pad(0);
#endif
	printf("%d\\n", target_fn(n));
	return 0;
}
`;

const work = mkdtempSync(join(tmpdir(), 'tapfleet-user-build-id-'));
/** The path the script probes; each test puts one build or the other there. */
const probed = join(work, 'prog');
const buildA = join(work, 'prog-a');
const buildB = join(work, 'prog-b');
const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
let moduleDir = '';
const SCRIPT = `probe process("${probed}").function("target_fn") { printf("hit %d\\n", $arg1); exit() }`;

/** Puts a build at the probed path as a package upgrade does: a new file renamed over the old one. */
function install(build: string): void {
	copyFileSync(build, `${probed}.new`);
	renameSync(`${probed}.new`, probed);
}

test.before(async () => {
	writeFileSync(join(work, 'prog.c'), PROGRAM);
	execFileSync('cc', ['-O1', '-o', buildA, join(work, 'prog.c')]);
	execFileSync('cc', ['-O1', '-DPAD', '-o', buildB, join(work, 'prog.c')]);
	install(buildA);
	const r = await runCli(['compile', '-p4', '-e', SCRIPT], env);
	if (r.status !== 0) throw new Error(`compile: ${r.stderr}`);
	moduleDir = r.stdout.trim();
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

const offsetOf = (file: string) => elfFunctions(file).find((f) => f.name === 'target_fn')!.fileOffset;

test.serial('tapfleet run after the probed program is upgraded: the cached module for the old build is not reused', async (t) => {
	// the script cache (front-cache.ts) maps an unchanged script to its module; the upgrade must make that a miss
	install(buildA);
	const first = await runCli(['run', '-c', `${probed} 5 >/dev/null`, '-e', SCRIPT], env);
	t.is(first.status, 0, first.stderr);
	t.is(first.stdout, 'hit 5\n');
	install(buildB);
	const upgraded = await runCli(['run', '-c', `${probed} 6 >/dev/null`, '-e', SCRIPT], env);
	t.is(upgraded.status, 0, upgraded.stderr);
	t.is(upgraded.stdout, 'hit 6\n');
	install(buildA);
});

// one probed path for all: the tests take turns
test.serial('the two builds differ where it matters: build-id and the probed function\'s offset', (t) => {
	t.not(offsetOf(buildA), offsetOf(buildB));
	t.not(elfBuildId(readFileSync(buildA)), elfBuildId(readFileSync(buildB)));
});

test.serial('the signed manifest and -p2 name the probed file with the build-id of the copy compiled against', async (t) => {
	install(buildA);
	const manifest = JSON.parse(readFileSync(join(moduleDir, 'manifest.json'), 'utf8'));
	const id = elfBuildId(readFileSync(buildA))!;
	t.deepEqual(manifest.userFiles, [{ path: probed, kind: 'build-id', id, probe: `process("${probed}").function("target_fn")` }]);
	const p2 = await runCli(['compile', '-p2', '-e', `probe process("${probed}").function("target_fn") { }`], env);
	t.is(p2.status, 0, p2.stderr);
	t.true(p2.stdout.endsWith(`# user-space files\n${probed} build-id 0x${id}\n`), p2.stdout);
});

test.serial('the file compiled against: the module attaches and sees the call', async (t) => {
	install(buildA);
	const run = new TaprunProcess(['-j', '-T', '60', moduleDir]);
	await run.started();
	execFileSync(probed, ['5']);
	const r = await run.done;
	t.is(r.status, 0, r.stderr);
	t.is(r.stdout, 'hit 5\n');
});

test.serial('another build at the same path: taprun refuses with both build-ids before anything attaches', async (t) => {
	install(buildB);
	const r = await runTaprun(['-j', '-T', '60', moduleDir]);
	t.is(r.status, 1);
	const have = elfBuildId(readFileSync(buildB))!;
	const want = elfBuildId(readFileSync(buildA))!;
	t.true(r.stderr.includes(`"message":"Build-id mismatch: \\"${probed}\\" (0x${have} vs 0x${want})`), r.stderr);
	t.false(r.stderr.includes('"type":"started"'), r.stderr);
	t.is(r.stdout, '');
});

test.serial('the probed file missing: refused naming the probe and the file', async (t) => {
	rmSync(probed);
	const r = await runTaprun(['-T', '60', moduleDir]);
	t.is(r.status, 1);
	t.is(r.stderr, `ERROR: probe process("${probed}").function("target_fn"): cannot find ${probed} (-ENOENT)\n`);
	install(buildA);
});

test.serial('through an agent: `tapfleet run --host` shows the refusal and fails; the session ended at once, nothing runs', async (t) => {
	install(buildB);
	const pki = await testPki(1);
	const agent = await inProcessAgent(pki, 'a0');
	t.teardown(() => agent.stop());
	const r = await runCli(['run', '--pki', pki.dir, '-T', '60', '--module', moduleDir, '--host', agent.address], env);
	t.not(r.status, 0);
	t.regex(r.stderr, new RegExp(`^ERROR: Build-id mismatch: "${probed}" \\(0x[0-9a-f]+ vs 0x${elfBuildId(readFileSync(buildA))}\\)`, 'm'));
	t.regex(r.stderr, /session ended \(exited, exit status 1\)/);
	t.is(r.stdout, '');
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	const sessions = await client.listSessions();
	t.is(sessions.length, 1);
	t.like(sessions[0], { exit: { reason: 'exited', exitCode: 1 } });
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
	install(buildA);
});

test('the manifest\'s userFiles is validated like the rest of it', (t) => {
	const manifest = JSON.parse(readFileSync(join(moduleDir, 'manifest.json'), 'utf8'));
	const withFiles = (userFiles: unknown) => JSON.stringify({ ...manifest, userFiles });
	const entry = manifest.userFiles[0];
	t.notThrows(() => parseManifest(withFiles([entry])));
	t.notThrows(() => parseManifest(JSON.stringify({ ...manifest, userFiles: undefined })));
	const refused: [unknown, RegExp][] = [
		[{}, /userFiles must be a list/],
		[[{ ...entry, path: 'prog' }], /userFiles: bad path "prog"/],
		[[entry, entry], /listed twice/],
		[[{ ...entry, id: 'xyz' }], /bad build-id/],
		[[{ ...entry, id: 'ab'.repeat(65) }], /bad build-id/],
		[[{ ...entry, kind: 'sha256' }], /bad sha256/],
		[[{ ...entry, kind: 'md5' }], /unknown kind "md5"/],
		[[{ ...entry, probe: '' }], /bad probe/],
	];
	for (const [userFiles, message] of refused) {
		const err = t.throws(() => parseManifest(withFiles(userFiles)), { instanceOf: ManifestError });
		t.regex(err!.message, message);
	}
});
