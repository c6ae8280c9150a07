// A script that did not compile for a host: the compiler's own messages
// (located errors, then "Pass N: ... failed"), kept apart from the words
// around them, so that a local run can print them as stap does.

export class ScriptCompileError extends Error {
	constructor(
		context: string,
		/** The compiler's messages, as it printed them. */
		readonly diagnostics: string,
	) {
		super(`${context} failed:\n${diagnostics}`);
		this.name = 'ScriptCompileError';
	}
}
