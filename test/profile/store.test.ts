// Saving, loading, validating and caching profiles, with a real profile of this host.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cachedProfile, cachedProfilePath, cacheProfile, profileCacheDir } from '../../controller/profile/cache.js';
import { gatherLocalProfile } from '../../controller/profile/gather.js';
import { loadProfile, ProfileError, saveProfile } from '../../controller/profile/store.js';
import type { KernelProfile } from '../../controller/profile/types.js';

let profile: KernelProfile;
const dir = mkdtempSync(join(tmpdir(), 'tapfleet-profile-'));

test.before(async () => {
	profile = (await gatherLocalProfile({ carryBtf: false })).profile;
});

/** A copy of the profile's JSON document with one change made to it. */
function altered(change: (doc: Record<string, any>) => void): string {
	const doc = JSON.parse(JSON.stringify(profile));
	change(doc);
	return JSON.stringify(doc, null, 1);
}

function loadText(name: string, text: string | Buffer): KernelProfile {
	const path = join(dir, name);
	writeFileSync(path, text);
	return loadProfile(path);
}

test('save and load round-trip, plain and gzip', (t) => {
	for (const name of ['p.json', 'p.json.gz']) {
		const path = join(dir, name);
		saveProfile(path, profile);
		t.deepEqual(loadProfile(path), profile);
	}
	t.is(readFileSync(join(dir, 'p.json'))[0], '{'.charCodeAt(0));
	t.is(readFileSync(join(dir, 'p.json.gz'))[0], 0x1f);
});

test('a gzip file is recognised by content, whatever its name', (t) => {
	const path = join(dir, 'renamed.json');
	saveProfile(path, profile, { gzip: true });
	t.deepEqual(loadProfile(path), profile);
});

test('a missing file is a clear error', (t) => {
	t.throws(() => loadProfile(join(dir, 'absent.json')), { instanceOf: ProfileError, message: /cannot read kernel profile .*absent\.json: ENOENT/ });
});

test('invalid JSON is reported at file:line:col', (t) => {
	t.throws(() => loadText('bad.json', '{\n "schema": 1,\n oops\n}'), { instanceOf: ProfileError, message: /bad\.json:3:2: .*must be JSON/ });
});

test('a truncated gzip file is reported as damaged', (t) => {
	const gz = gzipSync(JSON.stringify(profile));
	t.throws(() => loadText('cut.json.gz', gz.subarray(0, gz.length / 2)), { instanceOf: ProfileError, message: /cut\.json\.gz: .*damaged gzip data/ });
});

test('validation names the offending field', (t) => {
	const withFields = profile.tracepoints.findIndex((tp) => tp.fields.length > 0);
	const cases: Array<[string, (d: Record<string, any>) => void, RegExp]> = [
		['no-build-id', (d) => delete d.buildId, /buildId must be a string/],
		['upper-build-id', (d) => (d.buildId = 'ABC'), /buildId must be a lowercase hex string/],
		['lockdown', (d) => (d.lockdown = 'total'), /lockdown must be one of "none", "integrity"/],
		['capability', (d) => (d.capabilities.kprobe = { available: 'no' }), /capabilities\.kprobe\.available must be true or false/],
		['missing-capability', (d) => delete d.capabilities.uprobe, /capabilities\.uprobe must be an object/],
		['runtime', (d) => delete d.runtimes.bpf, /runtimes\.bpf must be an object/],
		['field', (d) => (d.tracepoints[withFields].fields[0].size = '8'), new RegExp(`tracepoints\\[${withFields}\\]\\.fields\\[0\\]\\.size must be a number`)],
		['functions', (d) => (d.symbols.functions[10] = 42), /symbols\.functions\[10\] must be a string/],
		['config', (d) => (d.config.NOT_CONFIG = 'y'), /config\["NOT_CONFIG"\] is not a CONFIG_ option/],
		['old-schema', (d) => (d.schema = 0), /schema is 0; this tapfleet reads 1/],
		['new-schema', (d) => (d.schema = 99), /schema 99 is newer than this tapfleet reads/],
	];
	for (const [name, change, message] of cases) {
		t.throws(() => loadText(`${name}.json`, altered(change)), { instanceOf: ProfileError, message }, name);
	}
	t.throws(() => loadText('array.json', '[]'), { instanceOf: ProfileError, message: /the document must be an object/ });
});

test('the cache stores by build-id under $XDG_CACHE_HOME/tapfleet/profiles', (t) => {
	const saved = process.env.XDG_CACHE_HOME;
	process.env.XDG_CACHE_HOME = join(dir, 'xdg');
	try {
		t.is(profileCacheDir(), join(dir, 'xdg', 'tapfleet', 'profiles'));
		t.is(cachedProfile(profile.buildId), undefined);
		const path = cacheProfile(profile);
		t.is(path, join(dir, 'xdg', 'tapfleet', 'profiles', `${profile.buildId}.json.gz`));
		t.deepEqual(cachedProfile(profile.buildId), profile);
	} finally {
		if (saved === undefined) delete process.env.XDG_CACHE_HOME;
		else process.env.XDG_CACHE_HOME = saved;
	}
});

test('the cache rejects what is not a build-id and profiles filed under the wrong id', (t) => {
	const opts = { dir: join(dir, 'cache2') };
	t.throws(() => cachedProfile('../../etc/passwd', opts), { instanceOf: ProfileError, message: /is not a build-id/ });
	cacheProfile(profile, opts);
	const other = 'ab'.repeat(20);
	saveProfile(cachedProfilePath(other, opts), profile, { gzip: true });
	t.throws(() => cachedProfile(other, opts), { instanceOf: ProfileError, message: new RegExp(`holds the profile of build-id ${profile.buildId}`) });
	writeFileSync(cachedProfilePath(other, opts), 'garbage');
	t.throws(() => cachedProfile(other, opts), { instanceOf: ProfileError });
});
