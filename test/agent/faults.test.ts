// What happens when things break: the agent killed with -9 and restarted,
// the controller killed (the lease expires), a connection cut mid-stream,
// a consumer too slow to keep up. Real agents, real taprun, real modules.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModuleDir, signedUpload } from '../../controller/dispatch/module-dir.js';
import { followSession } from '../../controller/dispatch/follow.js';
import type { OutputSink } from '../../controller/dispatch/output-sink.js';
import type { OutputRecord } from '../../proto/gen/tapfleet/v1/agent.js';
import { isSameProcess, processStartTime, sleep } from '../../agent/proc.js';
import { buildModule, clientFor, filesUnder, freePort, inProcessAgent, readJournal, runCli, spawnAgent, TAPFLEET, taprunProcessesUnder, tempDir, testPki, until } from './helpers.js';
import { startTcpProxy } from './tcp-proxy.js';

const options = { leaseSeconds: 0, timeLimitSeconds: 0, args: [] as string[], detach: false, runId: '', targetPid: 0, targetCommand: '', quietWarnings: false, kernelBufferMib: 0 };

/** A sink that keeps every record (and can pretend to be slow). */
function collectingSink(): OutputSink & { records: OutputRecord[]; notes: string[] } {
	const records: OutputRecord[] = [];
	const notes: string[] = [];
	return { records, notes, record: (_h, _s, r) => (records.push(r), true), note: (_h, n) => void notes.push(n), onDrain: () => {} };
}

const textOf = (records: OutputRecord[]) => records.map((r) => r.text?.data.toString('utf8') ?? '').join('');

/** An agent as its own process (to kill -9) running one fixture module detached; its taprun's pid once started. */
async function detachedSessionOfSpawnedAgent(t: ExecutionContext, fixture: string, agentName: string) {
	const pki = await testPki();
	const mod = await buildModule(fixture, tempDir('mod'));
	const stateDir = tempDir('state');
	const args = ['--listen', '127.0.0.1:0', '--pki', pki.agentDir(agentName), '--state-dir', stateDir];
	const first = await spawnAgent(args);
	t.teardown(() => void first.child.kill('SIGKILL'));
	const client = clientFor(first.address, pki.tls);
	const { sessionId } = await client.load(signedUpload(readModuleDir(mod), pki.signingKey), { ...options, detach: true });
	client.close();
	const [pid] = await until('taprun to start', () => {
		const pids = taprunProcessesUnder(stateDir);
		return pids.length ? pids : undefined;
	});
	// If the test fails before a restarted agent deals with it, the orphan must not outlive the test.
	const startTime = processStartTime(pid!);
	t.teardown(() => {
		if (startTime && isSameProcess(pid!, startTime)) process.kill(pid!, 'SIGKILL');
	});
	return { pki, stateDir, args, first, sessionId, pid: pid! };
}

test('kill -9 of the agent mid-session: the restarted agent stops the orphaned taprun, records it, and nothing stays loaded', async (t) => {
	const { pki, stateDir, args, first, sessionId, pid } = await detachedSessionOfSpawnedAgent(t, 'ticks', 'a7');
	const startTime = processStartTime(pid)!;

	first.child.kill('SIGKILL');
	await new Promise((r) => first.child.once('exit', r));
	t.true(isSameProcess(pid, startTime), 'taprun outlives the killed agent: the restart must deal with it');

	const second = await spawnAgent(args);
	t.teardown(() => void second.child.kill('SIGTERM'));
	// Reconciliation runs before the agent listens: by now the orphan is gone.
	t.false(isSameProcess(pid, startTime));
	t.deepEqual(taprunProcessesUnder(stateDir), []);
	t.deepEqual(filesUnder(join(stateDir, 'sessions')), []);
	const reconciled = readJournal(stateDir).filter((e) => e.event === 'reconciled');
	t.is(reconciled.length, 1);
	t.like(reconciled[0], { session: sessionId, module: 'ticks', pid, reason: 'agent restarted' });
	t.true(['terminated', 'killed'].includes(reconciled[0].action));

	const again = clientFor(second.address, pki.tls);
	t.teardown(() => again.close());
	const sessions = await again.listSessions();
	t.is(sessions.length, 1);
	t.like(sessions[0], { sessionId, state: 'finished', exit: { reason: 'agent restarted' } });
	t.is((await again.hostInfo()).counters?.sessionsRunning, 0);
});

/** The BPF programs and links a process holds, from its descriptors' fdinfo. */
function bpfObjectsOf(pid: number): { progs: number[]; links: number[] } {
	const progs = new Set<number>();
	const links = new Set<number>();
	for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
		let info = '';
		try {
			info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
		} catch {
			continue; // closed in between
		}
		for (const m of info.matchAll(/^(prog_id|link_id):\s+(\d+)$/gm)) (m[1] === 'prog_id' ? progs : links).add(Number(m[2]));
	}
	return { progs: [...progs], links: [...links] };
}

/** Does the kernel still have this BPF program or link (by id)? */
function bpfObjectExists(kind: 'prog' | 'link', id: number): boolean {
	try {
		execFileSync('bpftool', [kind, 'show', 'id', String(id)], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

test('kill -9 of the agent and its taprun (bpf): no program or link of the dead session stays in the kernel, nothing is pinned, the restart records it', async (t) => {
	const { stateDir, args, first, sessionId, pid } = await detachedSessionOfSpawnedAgent(t, 'counter', 'a6');
	// its tracepoint program attached: a BPF link among its descriptors
	await until('taprun to attach', () => bpfObjectsOf(pid).links.length > 0 || undefined);
	const held = bpfObjectsOf(pid);
	t.true(held.progs.length > 0 && held.links.length > 0, JSON.stringify(held));
	for (const id of held.progs) t.true(bpfObjectExists('prog', id));

	first.child.kill('SIGKILL');
	process.kill(pid, 'SIGKILL');
	await new Promise((r) => first.child.once('exit', r));
	await until('taprun to die', () => processStartTime(pid) === undefined || undefined);

	const second = await spawnAgent(args);
	t.teardown(() => void second.child.kill('SIGTERM'));
	// The kernel released everything with taprun's descriptors: taprun pins nothing.
	for (const id of held.progs) t.false(bpfObjectExists('prog', id), `program ${id} is still loaded`);
	for (const id of held.links) t.false(bpfObjectExists('link', id), `link ${id} is still attached`);
	t.deepEqual(existsSync('/sys/fs/bpf') ? readdirSync('/sys/fs/bpf', { recursive: true }).filter((f) => String(f).includes('tap')) : [], []);
	t.like(readJournal(stateDir).find((e) => e.event === 'reconciled'), { session: sessionId, pid, action: 'gone', reason: 'agent restarted' });
	t.is(readJournal(stateDir).filter((e) => e.event === 'reconciled-module').length, 0, 'no kernel module on this kernel');
});

test('controller killed: the lease expires, end probes run, the unload is recorded with that reason', async (t) => {
	const pki = await testPki();
	const ticks = await buildModule('ticks', tempDir('mod'));
	const agent = await inProcessAgent(pki, 'a8');
	t.teardown(() => agent.stop());
	const controller = spawn(process.execPath, [TAPFLEET, 'run', '--pki', pki.dir, '--host', agent.address, '--lease', '1', '--module', ticks], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	controller.stdout.on('data', (d) => (out += d));
	await until('the run to print "started"', () => out.includes('started\n'));
	controller.kill('SIGKILL');

	const client = clientFor(agent.address, pki.observerTls);
	t.teardown(() => client.close());
	const finished = await until('the lease to expire', async () => (await client.listSessions()).find((s) => s.state === 'finished'));
	t.like(finished.exit, { reason: 'lease expired', exitCode: 0, signal: '' });
	t.like(
		readJournal(agent.stateDir).find((e) => e.event === 'finished'),
		{ session: finished.sessionId, reason: 'lease expired' },
	);
	t.true(agent.logs.lines.some((l) => l.msg === 'lease expired: running end probes and unloading' && l.session === finished.sessionId));
	// The end probe ran: its line is in the session's output, which anyone with "observe" can still read.
	const sink = collectingSink();
	const r = await followSession(client, finished.sessionId, sink, { holdLease: false, fromSeq: 0n, reconnectWindowMs: 5000 }).done;
	t.is(textOf(sink.records), 'started\nend: ticked yes\n');
	t.like(r.exit, { reason: 'lease expired' });
	t.deepEqual(taprunProcessesUnder(agent.stateDir), []);
});

test('attach to an agent never reached (nothing listens there): said at once, not retried as a lost connection', async (t) => {
	const pki = await testPki();
	const dead = await freePort();
	const r = await runCli(['attach', '--pki', pki.dir, '--host', `127.0.0.1:${dead}`, 's-0123456789ab']);
	t.is(r.status, 1, r.stderr);
	t.is(r.stderr, `tapfleet attach: 127.0.0.1:${dead}: cannot reach the agent: UNAVAILABLE: No connection established: connect ECONNREFUSED 127.0.0.1:${dead}\n`);
	t.notRegex(r.stderr, /connection lost|resuming/);
});

test('a connection cut mid-stream: the client resumes after the last record it saw, with no gap', async (t) => {
	const pki = await testPki();
	const chatty = await buildModule('chatty', tempDir('mod'), { CHATTY_PERIOD_MS: 10, CHATTY_BURST: 5 });
	const agent = await inProcessAgent(pki, 'a9');
	t.teardown(() => agent.stop());
	const [host, port] = agent.address.split(':');
	const proxy = await startTcpProxy({ host, port: Number(port) });
	t.teardown(() => proxy.close());
	const direct = clientFor(agent.address, pki.tls);
	const viaProxy = clientFor(proxy.address, pki.tls);
	t.teardown(() => (direct.close(), viaProxy.close()));

	const { sessionId } = await direct.load(signedUpload(readModuleDir(chatty), pki.signingKey), { ...options, leaseSeconds: 30 });
	const sink = collectingSink();
	const follower = followSession(viaProxy, sessionId, sink, { holdLease: true, fromSeq: 0n, reconnectWindowMs: 20_000 });
	await until('some output', () => sink.records.length >= 20);
	proxy.breakConnections();
	const before = sink.records.length;
	await until('output after the reconnect', () => sink.records.length >= before + 20);
	await direct.unload(sessionId, false);
	const r = await follower.done;

	t.true(r.reconnects >= 1, 'the stream was really cut');
	t.is(r.droppedRecords, 0n);
	t.true(sink.notes.some((n) => n.startsWith('connection lost')));
	const seqs = sink.records.map((rec) => Number(rec.seq));
	t.deepEqual(seqs, seqs.map((_s, i) => i + 1), 'every record exactly once, in order');
	const lines = textOf(sink.records).trim().split('\n');
	t.is(lines[0], 'started');
	const numbered = lines.slice(1, -1);
	t.deepEqual(numbered, numbered.map((_l, i) => `line ${i + 1}`));
	t.is(lines.at(-1), `end after ${numbered.length} lines`);
	t.like(r.exit, { reason: 'unloaded', exitCode: 0 });
});

test('a slow consumer: what falls out of the bounded buffer is counted and reported, and the buffer stays within its limit', async (t) => {
	const pki = await testPki();
	const chatty = await buildModule('chatty', tempDir('mod'), { CHATTY_PERIOD_MS: 10, CHATTY_BURST: 2000 });
	const limit = 256 * 1024;
	const agent = await inProcessAgent(pki, 'a6', { bufferBytes: limit });
	t.teardown(() => agent.stop());
	const client = clientFor(agent.address, pki.tls);
	t.teardown(() => client.close());
	const { sessionId } = await client.load(signedUpload(readModuleDir(chatty), pki.signingKey), { ...options, leaseSeconds: 30 });
	const session = agent.sessions.getRunning(sessionId);

	// A subscriber that reads one message and then stops reading for a while.
	const call = client.stream(sessionId, 0n, true);
	const records: OutputRecord[] = [];
	let maxBuffered = 0;
	call.on('data', (m: { record: OutputRecord }) => records.push(m.record));
	// Listen for the end from the start: it may come before the unload's answer does.
	const ended = new Promise((r) => call.on('end', r));
	await until('the first record', () => records.length > 0);
	call.pause();
	await until('records to fall out of the buffer', () => {
		maxBuffered = Math.max(maxBuffered, session.output.bufferedBytes);
		return session.output.firstSeq > 100 ? true : undefined;
	});
	for (let i = 0; i < 10; i++) {
		maxBuffered = Math.max(maxBuffered, session.output.bufferedBytes);
		await sleep(20);
	}
	call.resume();
	await until('the drop report', () => records.some((r) => r.dropped));
	await client.unload(sessionId, false);
	await ended;

	const drop = records.find((r) => r.dropped)!.dropped!;
	t.true(drop.records > 0n);
	t.true(drop.bytes > 0n, 'a gap inside one stream is sized in bytes too');
	// The buffer never held more than its limit plus one record (a record is at most 64 KiB).
	t.true(maxBuffered <= limit + 64 * 1024, `buffered ${maxBuffered} bytes with a limit of ${limit}`);
	const info = await client.hostInfo();
	t.true(info.counters!.droppedRecords >= drop.records);
	const listed = (await client.listSessions()).find((s) => s.sessionId === sessionId)!;
	t.true(listed.droppedRecords >= drop.records);
	// After the gap the numbering goes on where the buffer begins: nothing is silently skipped.
	const dropIndex = records.findIndex((r) => r.dropped);
	t.is(Number(records[dropIndex + 1].seq), Number(drop.firstSeq + drop.records));
	t.truthy(records.at(-1)!.exit);
});
