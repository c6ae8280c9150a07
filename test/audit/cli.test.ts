// `tapfleet audit`, `audit show`, `audit verify` as a user runs them, on both backends.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BACKENDS, withAuditLog } from './helpers/backends.js';

const tapfleet = fileURLToPath(new URL('../../../bin/tapfleet', import.meta.url));
const run = async (args: string[]) => {
	try {
		const { stdout, stderr } = await promisify(execFile)(tapfleet, args, { encoding: 'utf8' });
		return { code: 0, stdout, stderr };
	} catch (err) {
		const e = err as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
};

const SCRIPT = 'probe begin { printf("hi\\n"); exit() }\n';

for (const kind of BACKENDS) {
	test(`${kind}: the CLI lists, shows and verifies`, (t) =>
		withAuditLog(kind, async (log, db) => {
			const r = await log.beginDispatch({ who: 'user:alice@ctl', hosts: ['web1', 'web2'], moduleHash: 'mod1', scriptText: SCRIPT, options: {} });
			await r.hostLoaded('web1', { sessionId: 'sess-1' });
			await r.hostEnded('web1', { endedBy: 'exit', outputBytes: 3, outputLines: 1, dropped: 0 });
			await r.hostRefused('web2', 'build-id-mismatch', 'host build-id aa, module bb');
			await r.finish();
			const db_ = ['--audit-db', db.spec];

			const table = await run(['audit', '--host', 'web1', ...db_]);
			t.is(table.code, 0, table.stderr);
			const lines = table.stdout.trimEnd().split('\n');
			t.regex(lines[0]!, /^TIME\s+KIND\s+RUN\s+HOST\s+WHO\s+SCRIPT\s+OUTCOME\s+DETAIL$/);
			t.is(lines.length, 2);
			t.regex(lines[1]!, new RegExp(`run\\s+${r.runId}\\s+web1\\s+user:alice@ctl\\s+${r.scriptHash.slice(0, 12)}\\s+exit`));

			const json = await run(['audit', '--user', 'alice', '--json', ...db_]);
			const entries = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
			t.deepEqual(entries.map((e) => [e.host, e.outcome]).sort(), [
				['web1', 'exit'],
				['web2', 'refused'],
			]);

			const show = await run(['audit', 'show', r.runId.slice(0, 5), ...db_]);
			t.is(show.code, 0, show.stderr);
			t.regex(show.stdout, /state\s+finished/);
			t.regex(show.stdout, /web1\s+sess-1\s.*exit\s+1 lines, 3 bytes, 0 dropped/);
			t.regex(show.stdout, /web2\s.*refused \(build-id-mismatch\).*host build-id aa, module bb/);
			t.true(show.stdout.endsWith(`script:\n${SCRIPT}`));
			const showJson = JSON.parse((await run(['audit', 'show', r.runId, '--json', ...db_])).stdout);
			t.is(showJson.scriptText, SCRIPT);

			const ok = await run(['audit', 'verify', ...db_]);
			t.is(ok.code, 0);
			t.regex(ok.stdout, /7 rows, chain intact; head [0-9a-f]{64}/);
			await db.raw("UPDATE audit_log SET host = 'web9' WHERE seq = 4");
			const bad = await run(['audit', 'verify', ...db_]);
			t.is(bad.code, 3);
			t.regex(bad.stdout, /BROKEN at row 4: row 4 was modified/);
		}));
}

test('the CLI explains bad input in one line, without a stack trace', async (t) => {
	const cases: [string[], RegExp][] = [
		[['audit', '--since', 'yesterday'], /--since "yesterday": expected an ISO date/],
		[['audit', '--limit', '0'], /--limit takes a positive integer/],
		[['audit', '--host', ''], /--host needs a value, not an empty string/],
		[['audit', '--user', ''], /--user needs a value, not an empty string/],
		[['audit', '--script-hash', ''], /--script-hash needs a value, not an empty string/],
		[['audit', '--audit-db', 'mysql://db/x'], /unsupported audit database "mysql:\/\/db\/x"/],
		[['audit', '--audit-db', 'postgres://u:secret@127.0.0.1:1/x'], /cannot open audit database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: connect ECONNREFUSED/],
		[['audit', 'serve', '--listen', '127.0.0.1:0', '--pki', '/nonexistent', '--audit-db', 'sqlite:/nonexistent-dir/audit.db'], /cannot read the CA certificate \/nonexistent\/ca\.crt: ENOENT/],
	];
	for (const [args, message] of cases) {
		const r = await run(args);
		t.is(r.code, args[1] === '--limit' ? 1 : 1, args.join(' '));
		t.regex(r.stderr, message);
		t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
		t.notRegex(r.stderr, /secret/);
	}
});
