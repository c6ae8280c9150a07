// --host @FILE: a fleet's inventory, one host per line with # comments; a
// host given twice is refused before anything connects. Real agents over
// mutual TLS for the run; the refusals need none.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOSTS_FILE_MAX_BYTES } from '../../cli/commands/host-list.js';
import { inProcessAgent, runCli, tempDir, testPki } from './helpers.js';

const cli = (args: string[]) => runCli(args, process.env, 300_000);

test('run --host @FILE runs on every host the file lists (comments and blank lines ignored), beside a --host of the command line', async (t) => {
	const pki = await testPki();
	const agents = await Promise.all(['a8', 'a9', 'a0'].map((name) => inProcessAgent(pki, name)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const file = join(tempDir('hosts'), 'web.txt');
	writeFileSync(file, `# the web tier\n${agents[0]!.address}\n\n  ${agents[1]!.address}   # the other one\n`);
	const r = await cli(['run', '--pki', pki.dir, '--prefix', '--host', `@${file}`, '--host', agents[2]!.address, '-e', 'probe begin { println("hi") exit() }']);
	t.is(r.status, 0, r.stderr);
	t.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), agents.map((a) => `${a.address}: hi`).sort());
});

test('--host mistakes: a host twice (on the line, in a file, in both), an unreadable, empty or oversized file, two hosts on a line: one message each, status 1', async (t) => {
	const dir = tempDir('hosts');
	const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
	const twice = write('twice.txt', '10.0.0.1:7701\n10.0.0.2:7701\n10.0.0.1:7701\n');
	const one = write('one.txt', '10.0.0.1:7701\n');
	const empty = write('empty.txt', '# nobody yet\n\n');
	const pair = write('pair.txt', '10.0.0.1:7701 10.0.0.2:7701\n');
	// the largest file read is HOSTS_FILE_MAX_BYTES: at it, a file is read; one byte more is refused
	const line = '10.0.0.9:7701\n';
	const atLimit = write('at-limit.txt', `${line}${'#'.repeat(HOSTS_FILE_MAX_BYTES - line.length - 1)}\n`);
	const overLimit = write('over-limit.txt', `${line}${'#'.repeat(HOSTS_FILE_MAX_BYTES - line.length)}\n`);
	const cases: [string[], string][] = [
		[['--host', '10.0.0.1:7701', '--host', '10.0.0.1:7701'], 'host 10.0.0.1:7701 is given twice'],
		[['--host', `@${twice}`], `host 10.0.0.1:7701 is given twice (${twice}:3)`],
		[['--host', '10.0.0.1:7701', '--host', `@${one}`], `host 10.0.0.1:7701 is given twice (${one}:1)`],
		[['--host', `@${join(dir, 'missing.txt')}`], `cannot read hosts file ${join(dir, 'missing.txt')} (ENOENT: no such file or directory)`],
		[['--host', `@${empty}`], `hosts file ${empty} names no host`],
		[['--host', `@${pair}`], `${pair}:1: one host per line, not "10.0.0.1:7701 10.0.0.2:7701"`],
		[['--host', `@${overLimit}`], `cannot read hosts file ${overLimit} (larger than ${HOSTS_FILE_MAX_BYTES} bytes)`],
	];
	for (const [args, message] of cases) {
		const r = await cli(['run', ...args, '-e', 'probe begin { exit() }']);
		t.is(r.status, 1, args.join(' '));
		t.true(r.stderr.includes(`is invalid. ${message}\n`), `${args.join(' ')}: ${r.stderr}`);
	}
	// the file at the limit is read: the run gets as far as connecting to its host (no PKI here)
	const r = await cli(['run', '--pki', join(dir, 'no-pki'), '--host', `@${atLimit}`, '-e', 'probe begin { exit() }']);
	t.is(r.status, 1);
	t.regex(r.stderr, /^tapfleet run: no PKI directory at /m);
});
