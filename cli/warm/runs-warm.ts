// Which command lines a warm runner takes (runtime-c/warm/main.c runs_warm
// decides the same for the C client, which also starts -c commands).

/**
 * `run`, not reading the script from stdin (`-`: the runner's stdin is not the
 * user's), and, unless the client starts commands itself, without -c (alone or
 * among short flags, `-gc CMD`).
 */
export function runsWarm(argv: readonly string[], clientSpawns = false): boolean {
	if (argv[2] !== 'run') return false;
	const words = argv.slice(3);
	if (words.includes('-')) return false;
	return clientSpawns || !words.some((w) => /^-[A-Za-z]*c/.test(w));
}
