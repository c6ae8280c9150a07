// Turning script text into C text: string literals (the lexer's strings are
// byte strings, one char per byte) and identifiers.

/**
 * A C string literal for a script string. As in stap's translator, a
 * backslash passes through unchanged: the script's escapes ("\n", "\t",
 * "\101") are C's, and the C compiler gives them their meaning. Quotes,
 * raw newlines and other control bytes are escaped.
 */
export function cString(bytes: string): string {
	let out = '"';
	for (let i = 0; i < bytes.length; i++) {
		const c = bytes.charCodeAt(i) & 0xff;
		if (c === 0x5c) {
			// an escape: the backslash and the character it escapes go to C as they are
			const next = bytes.charCodeAt(i + 1);
			if (next >= 0x20 && next < 0x7f) {
				out += '\\' + bytes[i + 1];
				i++;
			} else out += '\\\\';
		} else if (c === 0x22) out += '\\"';
		else if (c === 0x0a) out += '\\n';
		else if (c === 0x09) out += '\\t';
		else if (c >= 0x20 && c < 0x7f) {
			// "??x" would be a trigraph in some modes: break it up
			out += c === 0x3f && bytes[i + 1] === '?' ? '?""' : bytes[i];
		} else out += '\\' + c.toString(8).padStart(3, '0');
	}
	return out + '"';
}

/** The same for text that is already plain bytes (no script escapes): backslashes are escaped too. */
export function cStringRaw(bytes: string): string {
	return cString(bytes.replace(/\\/g, '\\\\'));
}

/** A C identifier fragment from a script name (script names are already C-like; be safe anyway). */
export function cIdent(name: string): string {
	return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** A C integer literal for a 64-bit signed value (INT64_MIN has no literal of its own). */
export function cLong(v: bigint): string {
	if (v === -(1n << 63n)) return '(-9223372036854775807LL - 1)';
	return `${v}LL`;
}
