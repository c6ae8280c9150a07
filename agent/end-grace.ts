// How long a session that was asked to stop (SIGTERM to taprun) gets
// before it is killed. taprun detaches every kernel-side probe before its
// end probes run, and detaching a tracepoint waits for an RCU grace period
// in the kernel (perf_trace_event_unreg(), serialised by the kernel's
// event_mutex: ~30 ms each here even with taprun's detaching threads), so
// a script on 360 tracepoints needed ~12 s to stop (syscall.* no longer
// does: its calls are dispatched from two raw tracepoints). Killed before
// its end probes ran, its output would be lost: the grace grows with the
// probes to detach.

/** Probe kinds that run in taprun's own process (nothing to detach). */
const USER_SIDE = new Set(['begin', 'end', 'error', 'timer', 'never']);

/** Grace per kernel-side probe on top of the base. */
export const END_GRACE_PER_PROBE_MS = 100;

/** The grace before SIGKILL for a module with these probes (the manifest's). */
export function endGraceFor(baseMs: number, probes: readonly { kind: string }[]): number {
	return baseMs + END_GRACE_PER_PROBE_MS * probes.filter((p) => !USER_SIDE.has(p.kind)).length;
}
