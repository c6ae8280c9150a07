// `tapfleet compile -pN --profile FILE` builds for the kernel the profile
// describes (pass 1's kernel_v from its release, pass 2 against it, the bpf
// module for its build-id and BTF), not for this host: a profile of another
// build is this host's profile with another build-id and release.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../controller/build/toolchain.js';
import { compileProfile } from '../../controller/elaborate/target-profile.js';
import { saveProfile } from '../../controller/profile/store.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-profile-target-'));

function tapfleet(args: string[]) {
	const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tapfleet'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') }, timeout: 600_000 });
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('compile -p3 and -p4 --profile: kernel_v, the module\'s build-id and release are the profile\'s', async (t) => {
	const here = await compileProfile();
	const other = { ...here, buildId: 'ab'.repeat(20), release: '9.9.9-other' };
	const file = join(dir, 'other.json.gz');
	saveProfile(file, other);
	const script = '%( kernel_v == "9.9.9" %? probe begin { println("built for 9.9.9") exit() } %: probe begin { println("built for this host") exit() } %)';
	const c = tapfleet(['compile', '-p3', '--profile', file, '-e', script]);
	t.is(c.status, 0, c.stderr);
	t.true(c.stdout.includes('"built for 9.9.9\\n"'), c.stdout.slice(0, 400));
	const m = tapfleet(['compile', '-p4', '--profile', file, '-e', script]);
	t.is(m.status, 0, m.stderr);
	const manifest = JSON.parse(readFileSync(join(m.stdout.trim(), 'manifest.json'), 'utf8'));
	t.like(manifest.target, { buildId: other.buildId, release: '9.9.9-other' });
	const bad = tapfleet(['compile', '-p2', '--profile', join(dir, 'missing.json'), '-e', script]);
	t.is(bad.status, 1);
	t.regex(bad.stderr, /^tapfleet compile: .*missing\.json/);
});
