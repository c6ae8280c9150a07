// `tapfleet profile` as a user runs it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validateProfile } from '../../controller/profile/validate.js';

const tapfleet = fileURLToPath(new URL('../../../bin/tapfleet', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tapfleet-profile-cli-'));
const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), NO_COLOR: '1' };

async function tap(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	try {
		const { stdout, stderr } = await promisify(execFile)(tapfleet, args, { env, maxBuffer: 64 << 20 });
		return { code: 0, stdout, stderr };
	} catch (err) {
		const e = err as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

test('the summary shows the build-id, runtimes and probe kinds, and the profile is cached and saved', async (t) => {
	const out = join(dir, 'host.json.gz');
	const r = await tap(['profile', '-o', out]);
	t.is(r.code, 0, r.stderr);
	t.regex(r.stdout, /build-id\s+[0-9a-f]{40}/);
	t.regex(r.stdout, /\n\s+bpf\s+yes/);
	t.regex(r.stdout, /\n\s+kmod\s+no\s+loadable modules unavailable/);
	t.regex(r.stdout, /\n\s+tracepoints\s+yes/);
	t.regex(r.stdout, /\n\s+kprobes\s+no\s+ENOENT/);
	t.regex(r.stdout, /tracepoints\s+\d+ in \d+ subsystems \(\d{3} system calls\)/);
	t.regex(r.stdout, /gathered in \d+ ms/);
	const buildId = /build-id\s+([0-9a-f]{40})/.exec(r.stdout)![1];
	t.true(existsSync(join(dir, 'cache', 'tapfleet', 'profiles', `${buildId}.json.gz`)));
	t.true(existsSync(out));

	const again = await tap(['profile', '--profile', out]);
	t.is(again.code, 0, again.stderr);
	t.true(again.stdout.includes(buildId));
	t.notRegex(again.stdout, /gathered in/);
});

test('--json prints a valid profile on stdout, notes on stderr', async (t) => {
	const r = await tap(['profile', '--json', '--no-btf', '--no-cache']);
	t.is(r.code, 0, r.stderr);
	const profile = validateProfile(JSON.parse(r.stdout), 'stdout');
	t.false(profile.btf.gzipBase64 !== undefined);
	t.regex(r.stderr, /gathered in \d+ ms/);
});

test('a broken --profile file is one clear line on stderr and exit 1', async (t) => {
	const bad = join(dir, 'bad.json');
	writeFileSync(bad, '{"schema": 1, "buildId": 7}');
	const r = await tap(['profile', '--profile', bad]);
	t.is(r.code, 1);
	t.is(r.stderr, `tapfleet profile: ${bad}: invalid kernel profile: buildId must be a string\n`);
	t.is(r.stdout, '');
});
