// A background service's settings, which its starter writes to its standard
// input (never its command line or environment: they may hold a password).

/** All of standard input as JSON; more than maxBytes of it is an error. */
export async function readStdinJson(maxBytes: number): Promise<unknown> {
	let text = '';
	for await (const chunk of process.stdin) {
		text += String(chunk);
		if (text.length > maxBytes) throw new Error('settings too large');
	}
	return JSON.parse(text);
}
