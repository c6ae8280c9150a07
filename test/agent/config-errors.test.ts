// `tapfleet agent` started with something wrong that its operator gave: one
// line naming what and how to fix it, status 1, and no agent left listening
// (never a stack trace, never a half-started agent).
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';
import { testPki } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-agent-config-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('bad flags, a missing certificate, a state directory that is a file: one line each, status 1', async (t) => {
	const pki = await testPki(2);
	const agentDir = pki.agentDir('a1');
	const file = join(work, 'a-file');
	writeFileSync(file, 'not a directory\n');
	const state = () => ['--state-dir', mkdtempSync(join(work, 'state-'))];
	const cases: [string[], RegExp][] = [
		[['--listen', 'bad:addr:x', ...state()], /^tapfleet agent: --listen "bad:addr:x": expected HOST:PORT, \[IPV6\]:PORT or unix:\/PATH\n$/],
		[['--listen', 'unix:rel/sock', ...state()], /^tapfleet agent: --listen unix:rel\/sock: a unix socket needs an absolute path\n$/],
		[['--listen', '127.0.0.1:0', '--pki', join(work, 'no-such-pki'), ...state()], /^tapfleet agent: .*no-such-pki\/agent\.crt is missing; create the agent's directory with `tapfleet keys issue --agent NAME`\n$/],
		[['--listen', '127.0.0.1:0', '--pki', agentDir, '--state-dir', file], /^tapfleet agent: --state-dir .*a-file: cannot be made: .*a-file is not a directory\n$/],
		[['--listen', '127.0.0.1:0', '--pki', agentDir, '--state-dir', join(file, 'sub')], /^tapfleet agent: --state-dir .*a-file\/sub: cannot be made: .*a-file is not a directory\n$/],
	];
	for (const [args, message] of cases) {
		const r = await run(tapfleet, ['agent', ...args]);
		t.is(r.status, 1, args.join(' '));
		t.regex(r.stderr, message, args.join(' '));
		t.is(r.stdout, '');
	}
});
