// `tapfleet profile --host URI`: a host's kernel profile fetched from its
// agent over mTLS and saved, so that `compile --profile FILE` builds for a
// kernel the compiling machine cannot reach; its mistakes are one line.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runningKernelBuildId } from '../../agent/host-facts.js';
import { loadProfile } from '../../controller/profile/store.js';
import { inProcessAgent, runCli, tempDir, testPki } from './helpers.js';

test('profile --host: the agent\'s kernel profile, saved with -o and usable by compile --profile; --no-btf leaves the BTF out', async (t) => {
	const pki = await testPki();
	const agent = await inProcessAgent(pki, 'a7');
	t.teardown(() => agent.stop());
	const dir = tempDir('profile-host');
	const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
	const saved = join(dir, 'host.json.gz');
	const r = await runCli(['profile', '--host', agent.address, '--pki', pki.dir, '-o', saved], env);
	t.is(r.status, 0, r.stderr);
	t.regex(r.stdout, new RegExp(`build-id +${runningKernelBuildId()}`));
	t.regex(r.stdout, new RegExp(`fetched from ${agent.address.replace(/\./g, '\\.')}`));
	const profile = loadProfile(saved);
	t.is(profile.buildId, runningKernelBuildId());
	t.true(profile.tracepoints.length > 100);
	t.truthy(profile.btf.gzipBase64);
	t.true(existsSync(join(dir, 'cache', 'tapfleet', 'profiles', `${profile.buildId}.json.gz`)), 'cached by build-id, as a gathered one');
	const compiled = await runCli(['compile', '-p2', '--profile', saved, '-e', 'probe kernel.trace("sched:sched_switch") { println($next->pid) }'], env);
	t.is(compiled.status, 0, compiled.stderr);
	t.regex(compiled.stdout, /kernel\.trace\("sched:sched_switch"\)/);

	const lean = await runCli(['profile', '--host', agent.address, '--pki', pki.dir, '--no-btf', '--json'], env);
	t.is(lean.status, 0, lean.stderr);
	const json = JSON.parse(lean.stdout);
	t.is(json.buildId, runningKernelBuildId());
	t.is(json.btf.gzipBase64, undefined);
	t.true(json.btf.present);
});

test('profile --host mistakes: two hosts, --host with --profile, an unreachable host: one line each, status 1', async (t) => {
	const cases: [string[], RegExp][] = [
		[['--host', '127.0.0.1:1', '--host', '127.0.0.1:2'], /^tapfleet profile: --host: one host at a time \(2 given\)\n$/],
		[['--host', '127.0.0.1:1', '--profile', '/nonexistent.json'], /^tapfleet profile: --host and --profile: give one of them\n$/],
		[['--host', 'plaintext://127.0.0.1:1'], /^tapfleet profile: plaintext:\/\/127\.0\.0\.1:1: .*(refused|unavailable|UNAVAILABLE).*\n$/i],
	];
	for (const [args, want] of cases) {
		const r = await runCli(['profile', ...args]);
		t.is(r.status, 1, args.join(' '));
		t.regex(r.stderr, want, args.join(' '));
		t.is(r.stdout, '');
	}
});
