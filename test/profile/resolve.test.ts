// The profile a pass resolves against: --profile FILE, or the local host's (then cached).
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedProfile } from '../../controller/profile/cache.js';
import { resolveTargetProfile } from '../../controller/profile/resolve.js';
import { ProfileError, saveProfile } from '../../controller/profile/store.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-resolve-'));

test('without --profile: the local host, gathered and cached; with it: that file', async (t) => {
	const local = await resolveTargetProfile({ dir });
	t.deepEqual(cachedProfile(local.buildId, { dir }), local);
	t.truthy(local.btf.gzipBase64);
	const lean = await resolveTargetProfile({ dir, carryBtf: false });
	t.is(lean.btf.gzipBase64, undefined);
	t.truthy(cachedProfile(local.buildId, { dir })?.btf.gzipBase64, 'the cached profile keeps its BTF');
	const saved = join(dir, 'other.json');
	saveProfile(saved, { ...local, buildId: 'ab'.repeat(20), release: '6.1.0-26-amd64' });
	const other = await resolveTargetProfile({ dir, profilePath: saved });
	t.is(other.release, '6.1.0-26-amd64');
	await t.throwsAsync(resolveTargetProfile({ profilePath: join(dir, 'none.json') }), { instanceOf: ProfileError, message: /cannot read kernel profile/ });
});
