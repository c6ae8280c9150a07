// Caches that hold for one command: things read from files by path (an
// ELF's symbols, a saved profile, the library's macros, a compiler's
// version), kept so that one command reads each once. A process that runs
// many commands (the warm runner, cli/warm/runner.ts) forgets them all
// before each, since the files may have changed in between; a one-shot
// command never calls forgetCommandCaches().
const forgetters = new Set<() => void>();

/** A Map emptied by forgetCommandCaches(). */
export function commandCache<K, V>(): Map<K, V> {
	const m = new Map<K, V>();
	forgetters.add(() => m.clear());
	return m;
}

/** Registers what empties a cache that is not a Map (a memoised value). */
export function onForgetCommandCaches(forget: () => void): void {
	forgetters.add(forget);
}

/** Before the next command of a long-lived process: every command cache empty. */
export function forgetCommandCaches(): void {
	for (const f of forgetters) f();
}
