// `tapfleet keys` as a user runs it: a PKI directory made with private keys
// only its owner reads, an agent's directory issued from it, and the errors a
// user can cause (a directory that already holds a CA, a --dir that is a
// file) said in one line with status 1, never an internal error.
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, tapfleet } from '../parse/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tapfleet-keys-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('keys init makes the CA, the controller certificate and the signing key; issue makes an agent directory', async (t) => {
	const dir = join(work, 'pki');
	const init = await run(tapfleet, ['keys', 'init', '--dir', dir]);
	t.is(init.status, 0, init.stderr);
	const files = readdirSync(dir).sort();
	for (const f of files.filter((n) => n.endsWith('.key'))) t.is(statSync(join(dir, f)).mode & 0o777, 0o600, f);
	t.true(files.some((n) => n.endsWith('.crt')));
	const again = await run(tapfleet, ['keys', 'init', '--dir', dir]);
	t.is(again.status, 1);
	t.regex(again.stderr, /^tapfleet keys: .* already holds a CA; refusing to overwrite it/);
	const issue = await run(tapfleet, ['keys', 'issue', '--dir', dir, '--agent', 'web1']);
	t.is(issue.status, 0, issue.stderr);
	t.true(readdirSync(join(dir, 'agents', 'web1')).includes('agent.crt'));
});

test('a --dir that is a file, or under one: one line, status 1', async (t) => {
	const file = join(work, 'a-file');
	writeFileSync(file, 'not a directory\n');
	for (const dir of [file, join(file, 'pki')]) {
		const r = await run(tapfleet, ['keys', 'init', '--dir', dir]);
		t.is(r.status, 1, dir);
		t.regex(r.stderr, /^tapfleet keys: .*not a directory.*\n$/, dir);
		t.notRegex(r.stderr, /internal error/);
	}
});
