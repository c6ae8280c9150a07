// The warm runner's frames and request checks (cli/warm/protocol.ts,
// request.ts), which guard a process that runs commands as this user.
import test from 'ava';
import { FRAME, frame, FrameError, FrameReader, MAX_FRAME_BYTES, type WarmRequest } from '../../cli/warm/protocol.js';
import { checkRequest } from '../../cli/warm/request.js';
import { runsWarm } from '../../cli/warm/runs-warm.js';
import { hash128 } from '../../cli/warm/hash.js';
import { envFingerprint, runnerPlace } from '../../cli/warm/place.js';

test('frames come out whole whatever the reads cut them into', (t) => {
	const stream = Buffer.concat([frame(FRAME.STDOUT, 'hello\n'), frame(FRAME.STDERR, Buffer.alloc(0)), frame(FRAME.EXIT, '{"code":0}')]);
	for (let cut = 0; cut <= stream.length; cut++) {
		const r = new FrameReader();
		const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
		t.deepEqual(got.map((f) => [f.type, f.payload.toString()]), [[FRAME.STDOUT, 'hello\n'], [FRAME.STDERR, ''], [FRAME.EXIT, '{"code":0}']], `cut at ${cut}`);
	}
});

test('a frame over the limit is refused by both ends, at the limit it passes', (t) => {
	const r = new FrameReader();
	const head = Buffer.from([FRAME.STDOUT, 0, 0, 0, 0]);
	head.writeUInt32BE(MAX_FRAME_BYTES + 1, 1);
	t.throws(() => r.push(head), { instanceOf: FrameError });
	t.throws(() => frame(FRAME.STDOUT, Buffer.alloc(MAX_FRAME_BYTES + 1)), { instanceOf: FrameError });
	const big = frame(FRAME.STDOUT, Buffer.alloc(MAX_FRAME_BYTES, 1));
	t.is(new FrameReader().push(big)[0]!.payload.length, MAX_FRAME_BYTES);
});

const good = (): WarmRequest => ({
	clientPid: 1234,
	sentAtMs: Date.now(),
	argv: ['node', 'tapfleet', 'run', '-e', 'probe begin { exit() }'],
	cwd: '/tmp',
	fingerprint: 'f'.repeat(32),
	umask: 0o022,
	volatileEnv: { PWD: '/tmp' },
	stdout: { isTTY: false },
	stderr: { isTTY: true, columns: 80, rows: 24 },
	spawns: false,
});
const check = (r: unknown) => checkRequest(Buffer.from(typeof r === 'string' ? r : JSON.stringify(r)), 'f'.repeat(32));

test('a request is taken only when every field is what a client sends', (t) => {
	const g = good();
	t.deepEqual(check(g), g);
	const spawning = { ...good(), spawns: true, argv: ['node', 'tapfleet', 'run', '-c', 'ls', '-e', 'x'] };
	t.deepEqual(check(spawning), spawning);
	const refusals: [string, unknown][] = [
		['a request that is not JSON', '{'],
		['a malformed request', 'null'],
		['a malformed client pid', { ...good(), clientPid: -1 }],
		['a malformed command line', { ...good(), argv: ['node', 'tapfleet'] }],
		['a malformed command line', { ...good(), argv: ['node', 'tapfleet', 'run', 7] }],
		['only `tapfleet run` runs warm', { ...good(), argv: ['node', 'tapfleet', 'keys', 'init'] }],
		['a malformed working directory', { ...good(), cwd: 'relative' }],
		['another environment', { ...good(), fingerprint: 'e'.repeat(32) }],
		['a variable that is not passed per run: PATH', { ...good(), volatileEnv: { PATH: '/evil' } }],
		['malformed terminal settings', { ...good(), stderr: { isTTY: true, columns: 0 } }],
		['malformed terminal settings', { ...good(), stdout: { isTTY: 'yes' } }],
		['a malformed request', { ...good(), spawns: undefined }],
		['a malformed umask', { ...good(), umask: 0o1000 }],
		['a malformed time', { ...good(), sentAtMs: 'now' }],
		['a request its client has given up on', { ...good(), sentAtMs: Date.now() - 4500 }],
		['this client does not start -c commands, nor read a script from stdin', { ...good(), argv: ['node', 'tapfleet', 'run', '-c', 'ls', '-e', 'x'] }],
		['this client does not start -c commands, nor read a script from stdin', { ...good(), argv: ['node', 'tapfleet', 'run', '-'] }],
		['a script from stdin is read by its own process', { ...good(), spawns: true, argv: ['node', 'tapfleet', 'run', '-', '-c', 'ls'] }],
	];
	for (const [why, r] of refusals) t.is(check(r), why, JSON.stringify(r));
});

test('runs without -c (alone or among short flags) and not reading stdin go to a runner; other commands do not', (t) => {
	t.false(runsWarm(['node', 'tapfleet', 'run', '-', 'arg']));
	t.true(runsWarm(['node', 'tapfleet', 'run', '-c', 'ls', '-e', 'x'], true));
	t.false(runsWarm(['node', 'tapfleet', 'run', '-c', 'ls', '-'], true));
	t.true(runsWarm(['node', 'tapfleet', 'run', '-e', 'probe begin { exit() }']));
	t.true(runsWarm(['node', 'tapfleet', 'run', '-T', '1', 'script.stp', 'arg']));
	t.false(runsWarm(['node', 'tapfleet', 'run', '-c', 'ls', '-e', 'x']));
	t.false(runsWarm(['node', 'tapfleet', 'run', '-gc', 'ls', 'x.stp']));
	t.false(runsWarm(['node', 'tapfleet', 'run', '-cls', 'x.stp']));
	t.false(runsWarm(['node', 'tapfleet', 'compile', '-e', 'x']));
});

test('the socket is named by the code, the environment (but its volatile variables) and the protocol', (t) => {
	const h = (s: string) => hash128(Buffer.from(s));
	t.regex(h(''), /^[0-9a-f]{32}$/);
	t.is(h('abc'), h('abc'));
	t.not(h('abc'), h('abd'));
	t.not(h('ab'), h('ba'));
	const env = { HOME: '/root', XDG_STATE_HOME: '/tmp/s', PATH: '/bin' };
	const place = runnerPlace('build-1', env, 1)!;
	t.is(place.socketPath, runnerPlace('build-1', { ...env, PWD: '/x', SHLVL: '3' }, 1)!.socketPath);
	t.not(place.socketPath, runnerPlace('build-2', env, 1)!.socketPath);
	t.not(place.socketPath, runnerPlace('build-1', { ...env, PATH: '/usr/bin' }, 1)!.socketPath);
	t.not(place.socketPath, runnerPlace('build-1', env, 2)!.socketPath);
	t.is(place.fingerprint, envFingerprint({ ...env, OLDPWD: '/' }));
	t.true(place.socketPath.startsWith('/tmp/s/tapfleet/runners/'));
	t.is(runnerPlace('build-1', { ...env, TAPFLEET_WARM_KEEP: '0' }, 1), undefined);
	// a state directory too deep for a Unix socket's path: no runner
	t.is(runnerPlace('build-1', { ...env, XDG_STATE_HOME: `/tmp/${'d'.repeat(100)}` }, 1), undefined);
});
