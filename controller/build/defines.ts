// -D NAME=VALUE: C preprocessor definitions for a module, as stap's -D. The
// runtime's limits (runtime-c/common/tap_limits.h) are numbers; a value
// that is not one would only surface as a compiler error deep in pass 4
// ("abc undeclared here"), so it is refused here, by name, before anything
// is built. Their ranges stay the runtime's to check (its #error lines,
// which compilerError() in toolchain.ts puts first).

/** The runtime's numeric limits that -D may set (the #ifndef names of tap_limits.h and tap_procfs.h). */
export const NUMERIC_LIMITS: ReadonlySet<string> = new Set([
	'MAXSTRINGLEN',
	'MAP_STRING_LENGTH',
	'MAXACTION',
	'MAXACTION_INTERRUPTIBLE',
	'MAXNESTING',
	'MAXMAPENTRIES',
	'MAXERRORS',
	'MAXSKIPPED',
	'MAXBACKTRACE',
	'HIST_WIDTH',
	'HIST_ELISION',
	'TAP_MAX_CPUS',
	'STP_PROCFS_BUFSIZE',
]);

/** A C integer literal: decimal, 0x hexadecimal or 0 octal, no sign. */
const C_INTEGER = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/** -D NAME=VALUE options as a map; a malformed one, or a limit that is not a number, is an error naming it. */
export function parseDefines(list: readonly string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (const d of list) {
		const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(d);
		if (!m) throw new Error(`-D ${JSON.stringify(d)}: expected NAME=VALUE`);
		const name = m[1]!;
		const value = m[2] ?? '1';
		if (NUMERIC_LIMITS.has(name) && !C_INTEGER.test(value)) {
			throw new Error(`-D ${JSON.stringify(d)}: ${name} is a limit of the runtime: expected a whole number (decimal, or 0x hexadecimal)`);
		}
		out[name] = value;
	}
	return out;
}
