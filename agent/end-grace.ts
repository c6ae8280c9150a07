// How long a session that was asked to stop (SIGTERM to taprun) gets
// before it is killed. taprun detaches every kernel-side probe before its
// end probes run, and detaching a tracepoint waits for an RCU grace period
// in the kernel (perf_trace_event_unreg(), serialised by the kernel's
// event_mutex: ~30 ms a tracepoint, ~110 ms a uprobe here even with
// taprun's detaching threads), so a script on a thousand uprobes needs
// minutes to exit (syscall.* no longer does: its calls are dispatched from
// two raw tracepoints). taprun runs the end probes and reports before it
// detaches; killed while detaching, the session would still end as killed
// rather than exited: the grace grows with the probes to detach.

/** Probe kinds that run in taprun's own process (nothing to detach). */
const USER_SIDE = new Set(['begin', 'end', 'error', 'timer', 'procfs', 'never']);

/**
 * Grace per kernel-side probe on top of the base: a uprobe's detach took
 * ~110 ms here (1670 of them on /bin/bash: 3 min), twice that for a loaded
 * machine.
 */
export const END_GRACE_PER_PROBE_MS = 250;

/** The grace before SIGKILL for a module with these probes (the manifest's). */
export function endGraceFor(baseMs: number, probes: readonly { kind: string }[]): number {
	return baseMs + END_GRACE_PER_PROBE_MS * probes.filter((p) => !USER_SIDE.has(p.kind)).length;
}
