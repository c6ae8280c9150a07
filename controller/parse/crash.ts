// Where stap 4.8's own parser dies. A few of its grammar functions read the
// lookahead token without checking for the end of the file, so a script
// that ends right there kills stap with SIGSEGV: the messages printed so far
// stay on stderr, nothing else follows (no "N parse errors.", no dump, no
// further -E scripts), and the exit status is the signal's. Pass 1 stops at
// the same point and says so, so that a caller imitating stap (compile -p1)
// can end the same way; everything else just sees a failed parse.

/** How stap ended: the signal that killed it. */
export type StapCrash = 'SIGSEGV';

/** Thrown where stap 4.8 dereferences a null token; caught by the file-level loop, never shown as a message. */
export class StapCrashed extends Error {
	constructor(readonly signal: StapCrash, readonly where: string) {
		super(`stap 4.8 crashes here (${signal}): ${where}`);
		this.name = 'StapCrashed';
	}
}
