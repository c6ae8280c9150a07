// The kbuild step of the kmod runtime on this machine, without a VM: every
// hand-written kmod fixture compiles with -Werror against the installed
// Debian headers (the VM's tree), the module carries tapfleet's modinfo
// fields, and kbuild's errors reach the caller with file:line:col.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kbuildModule } from '../../controller/build/kmod-kbuild.js';
import { BuildError } from '../../controller/build/toolchain.js';
import { elfSection } from '../../controller/kernel-tree/elf-sections.js';
import { locateKernelTree, MODULES_ROOT } from '../../controller/kernel-tree/locate.js';
import { buildKmodFixture } from '../fixtures/kmod/build-kmod-module.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-kbuild-'));
const BUILD_ID = '0123456789abcdef0123456789abcdef01234567';

/** An installed tree other than this machine's own kernel (linux-headers-amd64). */
function installedTree() {
	const rel = readdirSync(MODULES_ROOT).find((r) => r !== release() && /-amd64$/.test(r));
	if (!rel) throw new Error(`no Debian kernel tree in ${MODULES_ROOT} (apt-get install linux-headers-amd64)`);
	return locateKernelTree({ release: rel });
}

const tree = installedTree();

test.after.always(() => rmSync(work, { recursive: true, force: true }));

function modinfo(ko: string): Record<string, string> {
	const section = elfSection(readFileSync(ko), '.modinfo');
	if (!section) throw new Error(`${ko} has no .modinfo`);
	const fields: Record<string, string> = {};
	for (const entry of section.toString('latin1').split('\0')) {
		const eq = entry.indexOf('=');
		if (eq > 0) fields[entry.slice(0, eq)] = entry.slice(eq + 1);
	}
	return fields;
}

for (const name of ['hello', 'ticks', 'vfsread', 'exec', 'arrays', 'kdiv0', 'kstats', 'kprofile', 'opens']) {
	test(`${name}: builds with -Werror; modinfo has the vermagic, the target build-id and the script hash`, async (t) => {
		t.timeout(300_000, 'kbuild: about 5 s alone, longer beside the other builds');
		const dir = await buildKmodFixture(name, work, { tree: tree.dir, release: tree.release, buildId: BUILD_ID });
		const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { script: { sha256: string }; files: { name: string }[] };
		const info = modinfo(join(dir, manifest.files[0]!.name));
		t.is(info.build_id, BUILD_ID);
		t.is(info.script_hash, manifest.script.sha256);
		t.is(info.license, 'GPL');
		t.regex(info.vermagic ?? '', new RegExp(`^${tree.release.replace(/\./g, '\\.')} SMP `));
		t.is(info.name, `tapfleet_${name}`);
	});
}

test('a compile error in the generated C is shown with its file:line:col, not swallowed', async (t) => {
	const source = join(work, 'broken.c');
	writeFileSync(source, '#include "tap.h"\nstatic int probe_0(struct tap_context *c) { return nosuch; }\n');
	const err = await t.throwsAsync(kbuildModule({ source, name: 'tapfleet_broken', tree: tree.dir, buildId: BUILD_ID, workDir: join(work, 'broken.kbuild') }), { instanceOf: BuildError });
	t.regex(err!.message, /^kbuild failed:\n/);
	// gcc quotes with ‘’ or '' depending on the locale
	t.true(err!.message.includes(`${source}:2:52: error: `), err!.message);
	t.regex(err!.message, /error: .nosuch. undeclared/);
});

test('bad names, build-ids and trees are refused before kbuild runs', async (t) => {
	const base = { source: join(work, 'x.c'), tree: tree.dir, buildId: BUILD_ID, workDir: join(work, 'x.kbuild') };
	await t.throwsAsync(kbuildModule({ ...base, name: 'hello' }), { instanceOf: BuildError, message: /must match \^tapfleet_/ });
	await t.throwsAsync(kbuildModule({ ...base, name: 'tapfleet_x', buildId: 'XYZ' }), { instanceOf: BuildError, message: /expected lowercase hex/ });
	await t.throwsAsync(kbuildModule({ ...base, name: 'tapfleet_x', tree: work }), { instanceOf: BuildError, message: /not a kernel tree/ });
});
