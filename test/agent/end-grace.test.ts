// The grace a stopping session gets before SIGKILL (agent/end-grace.ts).
import test from 'ava';
import { END_GRACE_PER_PROBE_MS, endGraceFor } from '../../agent/end-grace.js';

test('the base for user-side probes only; one step more per kernel-side probe, of either runtime\'s manifest', (t) => {
	t.is(endGraceFor(10_000, [{ kind: 'begin' }, { kind: 'end' }, { kind: 'timer' }, { kind: 'error' }, { kind: 'never' }]), 10_000);
	t.is(endGraceFor(10_000, [{ kind: 'kernel' }, { kind: 'perf' }, { kind: 'tracepoint' }, { kind: 'kprobe' }, { kind: 'end' }]), 10_000 + 4 * END_GRACE_PER_PROBE_MS);
	t.is(endGraceFor(10_000, Array.from({ length: 360 }, () => ({ kind: 'kernel' }))), 10_000 + 360 * END_GRACE_PER_PROBE_MS);
});
