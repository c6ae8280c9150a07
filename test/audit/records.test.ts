// Each kind of record produces the right audit entry, on SQLite and PostgreSQL.
import test from 'ava';
import { AuditInputError, RunNotFoundError, type HostEnded } from '../../controller/audit/index.js';
import { BACKENDS, withAuditLog } from './helpers/backends.js';

const SCRIPT = 'probe begin { println("hello") exit() }\n';
const ALICE = 'user:alice@ctl1';
const ended = (over: Partial<HostEnded>): HostEnded => ({ endedBy: 'exit', outputBytes: 0, outputLines: 0, dropped: 0, ...over });

for (const kind of BACKENDS) {
	test(`${kind}: a compile is recorded with its target and tools`, (t) =>
		withAuditLog(kind, async (log) => {
			await log.recordCompile({
				who: ALICE,
				scriptText: SCRIPT,
				moduleHash: 'm1',
				targetBuildId: 'abcd',
				targetRelease: '6.1.0-56-amd64',
				runtime: 'bpf',
				toolVersions: { tapfleet: '0.1.0', clang: '14.0.6' },
			});
			const { entries } = await log.list();
			t.is(entries.length, 1);
			t.like(entries[0], { kind: 'compile', who: ALICE, moduleHash: 'm1', outcome: 'compiled' });
			t.regex(entries[0]!.detail!, /bpf for 6\.1\.0-56-amd64 \(build-id abcd\)/);
			t.is(entries[0]!.scriptHash!.length, 64);
		}));

	test(`${kind}: every per-host outcome of a run is recorded and derived`, (t) =>
		withAuditLog(kind, async (log) => {
			const hosts = ['h-exit', 'h-limit', 'h-int', 'h-lease', 'h-restart', 'h-error', 'h-refused', 'h-unload'];
			const run = await log.beginDispatch({ who: ALICE, hosts, moduleHash: 'm1', scriptText: SCRIPT, options: { timeLimitSeconds: 5, args: ['x'] } });
			t.regex(run.runId, /^[0-9a-f]{12}$/);
			for (const [i, h] of hosts.entries()) if (h !== 'h-refused') await run.hostLoaded(h, { sessionId: `s${i}`, loadedAtMs: 1000 + i });
			await run.hostEnded('h-exit', ended({ firstOutputAtMs: 1100, unloadedAtMs: 1200, outputBytes: 600, outputLines: 10, dropped: 3 }));
			await run.hostEnded('h-limit', ended({ endedBy: 'time-limit' }));
			await run.hostEnded('h-int', ended({ endedBy: 'interrupt' }));
			await run.hostEnded('h-lease', ended({ endedBy: 'lease-expiry' }));
			await run.hostEnded('h-restart', ended({ endedBy: 'agent-restart' }));
			await run.hostEnded('h-error', ended({ endedBy: 'error', message: 'taprun: exit status 1' }));
			await run.hostEnded('h-unload', ended({ endedBy: 'unload' }));
			await run.hostRefused('h-refused', 'build-id-mismatch', 'Build-id mismatch: "kernel" aa vs. module bb');
			await run.finish();

			const { entries } = await log.list();
			const outcome = Object.fromEntries(entries.map((e) => [e.host, e.outcome]));
			t.deepEqual(outcome, {
				'h-exit': 'exit',
				'h-limit': 'time-limit',
				'h-int': 'interrupt',
				'h-lease': 'lease-expiry',
				'h-restart': 'agent-restart',
				'h-error': 'error',
				'h-refused': 'refused',
				'h-unload': 'unload',
			});
			t.regex(entries.find((e) => e.host === 'h-refused')!.detail!, /build-id-mismatch: Build-id mismatch/);
			t.regex(entries.find((e) => e.host === 'h-error')!.detail!, /exit status 1/);
			t.true(entries.every((e) => e.runId === run.runId && e.who === ALICE));

			const shown = await log.show(run.runId.slice(0, 6));
			t.is(shown.state, 'finished');
			t.is(shown.scriptText, SCRIPT);
			t.deepEqual(shown.options, { timeLimitSeconds: 5, args: ['x'] });
			t.like(shown.hosts.find((h) => h.host === 'h-exit'), {
				state: 'ended',
				sessionId: 's0',
				loadedAtMs: 1000,
				firstOutputAtMs: 1100,
				unloadedAtMs: 1200,
				outputBytes: 600,
				outputLines: 10,
				dropped: 3,
				source: 'controller',
			});
			t.like(shown.hosts.find((h) => h.host === 'h-refused'), { state: 'refused', refusal: 'build-id-mismatch' });
			t.true((await log.verify()).ok);
		}));

	test(`${kind}: the dispatch is on record before any load (write-ahead)`, (t) =>
		withAuditLog(kind, async (log) => {
			const run = await log.beginDispatch({ who: ALICE, hosts: ['a', 'b'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
			const shown = await log.show(run.runId);
			t.is(shown.state, 'incomplete');
			t.deepEqual(
				shown.hosts.map((h) => h.state),
				['pending', 'pending'],
			);
			const { entries } = await log.list({ host: 'b' });
			t.like(entries, [{ host: 'b', outcome: 'incomplete', detail: 'not loaded yet' }]);
		}));

	test(`${kind}: refusals are recorded with their reason`, (t) =>
		withAuditLog(kind, async (log) => {
			await log.recordRefusal({ who: 'cert:mallory', reason: 'unauthorised-client', message: 'no operate right', host: 'web1' });
			await log.recordRefusal({ who: ALICE, reason: 'bad-signature', message: 'signature does not verify', host: 'web2', moduleHash: 'm9' });
			const { entries } = await log.list();
			t.like(entries, [
				{ kind: 'refusal', host: 'web2', outcome: 'refused', detail: 'bad-signature: signature does not verify', moduleHash: 'm9' },
				{ kind: 'refusal', host: 'web1', who: 'cert:mallory', detail: 'unauthorised-client: no operate right' },
			]);
			await t.throwsAsync(log.recordRefusal({ who: ALICE, reason: 'sloppy' as never, message: '' }), { instanceOf: AuditInputError });
		}));

	test(`${kind}: agent journals are imported once, and unexplained loads are flagged`, (t) =>
		withAuditLog(kind, async (log) => {
			const run = await log.beginDispatch({ who: ALICE, hosts: ['web1'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
			await run.hostLoaded('web1', { sessionId: 'known' });
			const journal = [
				{ sessionId: 'known', event: 'load' as const, atMs: 10 },
				{ sessionId: 'stray', event: 'load' as const, atMs: 20, loadedBy: 'cert:other-controller', moduleHash: 'mx' },
				{ sessionId: 'stray', event: 'unload' as const, atMs: 30, endedBy: 'exit' as const },
				{ sessionId: 'nobody', event: 'load' as const, atMs: 40 },
			];
			t.deepEqual(await log.importAgentJournal('web1', journal), { imported: 4, alreadyKnown: 0, unmatchedLoads: 2 });
			t.deepEqual(await log.importAgentJournal('web1', journal), { imported: 0, alreadyKnown: 4, unmatchedLoads: 0 });
			const { entries } = await log.list({ host: 'web1' });
			const agentLoads = entries.filter((e) => e.kind === 'agent-load');
			t.is(agentLoads.length, 2);
			t.regex(agentLoads.find((e) => e.who === 'cert:other-controller')!.detail!, /session stray loaded by cert:other-controller, no controller record; unloaded \(exit\)/);
			t.regex(agentLoads.find((e) => e.who === undefined)!.detail!, /session nobody loaded by an unknown client.*still loaded/);
			t.like(entries.find((e) => e.kind === 'run'), { runId: run.runId, outcome: 'incomplete' });
		}));

	test(`${kind}: a load the controller never confirmed is matched by its run id`, (t) =>
		withAuditLog(kind, async (log) => {
			const run = await log.beginDispatch({ who: ALICE, hosts: ['web1'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
			const summary = await log.importAgentJournal('web1', [
				{ sessionId: 's1', event: 'load', atMs: 5, runId: run.runId },
				{ sessionId: 's1', event: 'unload', atMs: 9, endedBy: 'lease-expiry' },
			]);
			t.is(summary.unmatchedLoads, 0);
			const host = (await log.show(run.runId)).hosts[0]!;
			t.like(host, { state: 'ended', sessionId: 's1', loadedAtMs: 5, unloadedAtMs: 9, endedBy: 'lease-expiry', source: 'agent-journal' });
		}));

	test(`${kind}: a load the controller died before recording is matched to its pending host`, (t) =>
		withAuditLog(kind, async (log) => {
			const run = await log.beginDispatch({ who: ALICE, hosts: ['web1', 'web2'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
			const other = 'f'.repeat(64);
			const summary = await log.importAgentJournal('web1', [
				{ sessionId: 's1', event: 'load', atMs: Date.now(), scriptHash: run.scriptHash },
				{ sessionId: 's2', event: 'load', atMs: Date.now(), scriptHash: other },
				{ sessionId: 's3', event: 'load', atMs: Date.now() - 3600_000, scriptHash: run.scriptHash },
			]);
			t.is(summary.unmatchedLoads, 2, 'another script, or a load long before the dispatch, stays unexplained');
			t.like((await log.show(run.runId)).hosts, [{ host: 'web1', state: 'loaded', sessionId: 's1' }, { host: 'web2', state: 'pending' }]);
		}));

	test(`${kind}: listings filter by host, user, time and script hash`, (t) =>
		withAuditLog(kind, async (log) => {
			const a = await log.beginDispatch({ who: ALICE, hosts: ['web1', 'web2'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
			const b = await log.beginDispatch({ who: 'cert:bob', hosts: ['web2', 'db1'], moduleHash: 'm2', scriptText: 'probe end {}', options: {} });
			const keys = async (q: Parameters<typeof log.list>[0]) =>
				(await log.list(q)).entries.map((e) => `${e.runId === a.runId ? 'a' : 'b'}:${e.host}`).sort();
			t.deepEqual(await keys({ host: 'web2' }), ['a:web2', 'b:web2']);
			t.deepEqual(await keys({ user: 'alice' }), ['a:web1', 'a:web2']);
			t.deepEqual(await keys({ user: 'bob' }), ['b:db1', 'b:web2']);
			t.deepEqual(await keys({ user: 'cert:bob', host: 'db1' }), ['b:db1']);
			t.deepEqual(await keys({ scriptHash: b.scriptHash.slice(0, 8) }), ['b:db1', 'b:web2']);
			t.deepEqual(await keys({ sinceMs: Date.now() + 60_000 }), []);
			t.deepEqual(await keys({ untilMs: Date.now() + 60_000, host: 'web1' }), ['a:web1']);
			t.deepEqual(await keys({ scriptHash: b.scriptHash }), ['b:db1', 'b:web2']);
			const limited = await log.list({ limit: 1 });
			t.is(limited.entries.length, 1);
			t.true(limited.truncated);
			await t.throwsAsync(log.list({ limit: 0 }), { instanceOf: AuditInputError });
		}));

	test(`${kind}: concurrent records from one controller share commits and keep the chain`, (t) =>
		withAuditLog(kind, async (log) => {
			const hosts = Array.from({ length: 40 }, (_, i) => `h${i}`);
			const run = await log.beginDispatch({ who: ALICE, hosts, moduleHash: 'm', scriptText: SCRIPT, options: {} });
			await Promise.all(hosts.map((h, i) => run.hostLoaded(h, { sessionId: `s${i}` })));
			await Promise.all([...hosts.map((h) => run.hostEnded(h, ended({}))), log.recordRefusal({ who: ALICE, reason: 'other', message: 'x' })]);
			await run.finish();
			const shown = await log.show(run.runId);
			t.true(shown.hosts.every((h, i) => h.state === 'ended' && h.sessionId === `s${i}`));
			t.like(await log.verify(), { ok: true, rowsChecked: 1 + 40 * 3 + 1 + 1 });
		}));

	test(`${kind}: a listing fills its limit before saying it is truncated`, (t) =>
		withAuditLog(kind, async (log) => {
			for (let i = 0; i < 6; i++) {
				const run = await log.beginDispatch({ who: ALICE, hosts: ['a', 'b', 'c'], moduleHash: 'm', scriptText: SCRIPT, options: {} });
				await Promise.all(['a', 'b', 'c'].map((h) => run.hostEnded(h, ended({}))));
				await run.finish();
			}
			t.like(await log.list({ limit: 7 }), { entries: { length: 7 }, truncated: true });
			t.like(await log.list({ limit: 18 }), { entries: { length: 18 }, truncated: false });
		}));

	test(`${kind}: bad records are refused with a clear message and write nothing`, (t) =>
		withAuditLog(kind, async (log) => {
			const base = { who: ALICE, moduleHash: 'm', scriptText: SCRIPT, options: {} };
			await t.throwsAsync(log.beginDispatch({ ...base, hosts: [] }), { message: /at least one host/ });
			await t.throwsAsync(log.beginDispatch({ ...base, hosts: ['a\nb'] }), { message: /host contains a control character/ });
			await t.throwsAsync(log.beginDispatch({ ...base, hosts: ['a', 'a'] }), { message: /same host twice/ });
			await t.throwsAsync(log.beginDispatch({ ...base, hosts: ['a'], scriptText: 'x'.repeat((1 << 20) + 1) }), { message: /larger than/ });
			const run = await log.beginDispatch({ ...base, hosts: ['a'], runId: 'fixed-id' });
			await t.throwsAsync(log.beginDispatch({ ...base, hosts: ['a'], runId: 'fixed-id' }), { message: /already in the audit log/ });
			await t.throwsAsync(run.hostLoaded('z', { sessionId: 's' }), { message: /host z is not part of run fixed-id/ });
			await t.throwsAsync(run.hostEnded('a', ended({ outputBytes: -1 })), { message: /output bytes must be a non-negative integer/ });
			await t.throwsAsync(log.show('nope'), { instanceOf: RunNotFoundError, message: /no run nope/ });
			await t.throwsAsync(log.show("x'; drop"), { instanceOf: AuditInputError });
			t.is((await log.list()).entries.length, 1);
			t.like(await log.verify(), { ok: true, rowsChecked: 2 });
		}));
}
