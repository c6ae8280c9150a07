// Script output is bytes, not text: every byte value 0x00-0xff printed by a
// real script (passes 1-4, taprun, BPF) crosses real agents over mTLS and
// comes back exactly: to a gRPC client, through `tapfleet run` to stdout,
// through a multi-host `--prefix` merge (prefixes on 0x0a-terminated lines,
// nothing decoded) and as `--json` (base64 when not UTF-8).
import test from 'ava';
import { isUtf8 } from 'node:buffer';
import type { OutputRecord } from '../../proto/gen/tapfleet/v1/agent.js';
import { followSession } from '../../controller/dispatch/follow.js';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { clientFor, inProcessAgent, runCli, tempDir, testPki } from './helpers.js';

/** Every byte value, then a newline; then the same through "%c". */
const SCRIPT = 'probe begin { for (i = 0; i < 256; i++) printf("%1b", i); printf("\\n"); for (i = 0; i < 256; i++) printf("%c", i); printf("\\n"); exit() }';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const EXPECTED = Buffer.concat([ALL_BYTES, Buffer.from('\n'), ALL_BYTES, Buffer.from('\n')]);

/** Splits merged output into 0x0a-terminated lines and gives each host's lines, prefix removed, concatenated in order. */
function demultiplex(merged: Buffer, hosts: string[]): Map<string, Buffer> {
	const parts = new Map<string, Buffer[]>(hosts.map((h) => [h, []]));
	for (let start = 0; start < merged.length; ) {
		const nl = merged.indexOf(0x0a, start);
		const end = nl === -1 ? merged.length : nl + 1;
		const line = merged.subarray(start, end);
		const host = hosts.find((h) => line.subarray(0, h.length + 2).equals(Buffer.from(`${h}: `)));
		if (!host) throw new Error(`a line without a host prefix at byte ${start}: ${line.subarray(0, 40).toString('hex')}`);
		parts.get(host)!.push(line.subarray(host.length + 2));
		start = end;
	}
	return new Map([...parts].map(([h, p]) => [h, Buffer.concat(p)]));
}

test('every byte value 0x00-0xff through two agents over mTLS: plain, prefixed merge, JSON and a gRPC client get them exactly', async (t) => {
	const pki = await testPki();
	const agents = await Promise.all([7, 8].map((i) => inProcessAgent(pki, `a${i}`)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const hosts = agents.map((a) => a.address);
	const hostArgs = hosts.flatMap((h) => ['--host', h]);
	const work = tempDir('bytes');

	const plain = await runCli(['run', '--pki', pki.dir, '--host', hosts[0]!, '-e', SCRIPT], { ...process.env, XDG_CACHE_HOME: work });
	t.is(plain.status, 0, plain.stderr);
	t.true(plain.stdoutBytes.equals(EXPECTED), `plain: ${plain.stdoutBytes.toString('hex')}`);

	const prefixed = await runCli(['run', '--pki', pki.dir, '--prefix', ...hostArgs, '-e', SCRIPT], { ...process.env, XDG_CACHE_HOME: work });
	t.is(prefixed.status, 0, prefixed.stderr);
	const perHost = demultiplex(prefixed.stdoutBytes, hosts);
	for (const h of hosts) t.true(perHost.get(h)!.equals(EXPECTED), `${h}: ${perHost.get(h)!.toString('hex')}`);
	// 0x0a inside the bytes starts a line too: four prefixed lines per host.
	t.is(prefixed.stdoutBytes.length, 2 * (EXPECTED.length + 4 * (hosts[0]!.length + 2)));

	const json = await runCli(['run', '--pki', pki.dir, '--json', ...hostArgs, '-e', SCRIPT], { ...process.env, XDG_CACHE_HOME: work });
	t.is(json.status, 0, json.stderr);
	for (const h of hosts) {
		const recs = json.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.host === h && r.stream === 'stdout');
		const bytes = Buffer.concat(recs.map((r) => (r.base64 !== undefined ? Buffer.from(r.base64, 'base64') : Buffer.from(r.text, 'utf8'))));
		t.true(bytes.equals(EXPECTED), `${h} json: ${bytes.toString('hex')}`);
		for (const r of recs) t.is(r.text === undefined, r.base64 !== undefined, 'one of text or base64');
		t.true(recs.some((r) => r.base64 !== undefined), 'bytes that are not UTF-8 travel as base64');
	}

	// A programmatic client sees OutputText.data as the bytes, records cut at 0x0a.
	const built = await runCli(['compile', '-p4', '-e', SCRIPT], { ...process.env, XDG_CACHE_HOME: work });
	t.is(built.status, 0, built.stderr);
	const client = clientFor(hosts[1]!, pki.tls);
	t.teardown(() => client.close());
	const { sessionId } = await client.load(signedUpload(readModuleDir(built.stdout.trim()), pki.signingKey), { leaseSeconds: 0, timeLimitSeconds: 0, args: [], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 });
	const records: OutputRecord[] = [];
	const sink = { record: (_h: string, _s: string, r: OutputRecord) => (records.push(r), true), note: () => {}, onDrain: () => {} };
	const r = await followSession(client, sessionId, sink, { holdLease: true, fromSeq: 0n, reconnectWindowMs: 5000 }).done;
	t.like(r.exit, { exitCode: 0, reason: 'exited' });
	const data = records.filter((rec) => rec.text).map((rec) => rec.text!.data);
	t.true(Buffer.concat(data).equals(EXPECTED));
	for (const d of data) t.is(d[d.length - 1], 0x0a, 'records hold whole lines');
	t.false(isUtf8(Buffer.concat(data)));
});

test('--prefix: a line longer than an output record (150 kB, printed in pieces) reaches stdout whole, with one prefix, from each of two hosts', async (t) => {
	const pki = await testPki();
	const agents = await Promise.all([5, 6].map((i) => inProcessAgent(pki, `a${i}`)));
	t.teardown(() => Promise.all(agents.map((a) => a.stop())));
	const hosts = agents.map((a) => a.address);
	const piece = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN';
	const script = `probe begin { for (i = 0; i < 3000; i++) printf("%s", "${piece}"); printf("\\n"); print("no end"); exit() }`;
	const r = await runCli(['run', '--pki', pki.dir, '--prefix', '-D', 'MAXACTION=100000', ...hosts.flatMap((h) => ['--host', h]), '-e', script], { ...process.env, XDG_CACHE_HOME: tempDir('long') });
	t.is(r.status, 0, r.stderr);
	const perHost = demultiplex(r.stdoutBytes, hosts);
	// (the last line, printed without its end, is ended when the session ends)
	for (const h of hosts) t.is(perHost.get(h)!.toString(), `${piece.repeat(3000)}\nno end\n`);
	t.is(r.stdout.split('\n').filter(Boolean).length, 4, 'two lines per host, nothing split');
});
