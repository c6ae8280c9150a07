// Input checks for everything written to the audit log: bounded sizes, and
// no control characters in identifiers (PostgreSQL text cannot hold NUL, and
// a newline in a host name would forge lines in the table output).
export class AuditInputError extends Error {}

export const LIMITS = {
	identifierChars: 512,
	scriptTextBytes: 1 << 20,
	messageChars: 16 * 1024,
	optionsJsonChars: 64 * 1024,
	hostsPerDispatch: 10_000,
	journalEntriesPerImport: 100_000,
} as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkIdentifier(what: string, value: unknown): string {
	if (typeof value !== 'string' || value === '') throw new AuditInputError(`${what} must be a non-empty string`);
	if (value.length > LIMITS.identifierChars) throw new AuditInputError(`${what} is longer than ${LIMITS.identifierChars} characters`);
	if (CONTROL.test(value)) throw new AuditInputError(`${what} contains a control character: ${JSON.stringify(value)}`);
	return value;
}

export function checkOptionalIdentifier(what: string, value: unknown): string | null {
	return value === undefined || value === null || value === '' ? null : checkIdentifier(what, value);
}

export function checkScriptText(text: unknown): string {
	if (typeof text !== 'string') throw new AuditInputError('script text must be a string');
	if (Buffer.byteLength(text) > LIMITS.scriptTextBytes) {
		throw new AuditInputError(`script text is larger than ${LIMITS.scriptTextBytes} bytes`);
	}
	if (text.includes('\u0000')) throw new AuditInputError('script text contains a NUL character');
	return text;
}

/** Messages come from failures we must not lose: cut them rather than refuse them. */
export function boundMessage(message: string | undefined): string | undefined {
	if (message === undefined) return undefined;
	const clean = message.replaceAll('\u0000', '\\0');
	if (clean.length <= LIMITS.messageChars) return clean;
	return `${clean.slice(0, LIMITS.messageChars)}… [${clean.length - LIMITS.messageChars} more characters cut]`;
}

export function checkCount(what: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
		throw new AuditInputError(`${what} must be a non-negative integer, not ${String(value)}`);
	}
	return value;
}

export function checkTime(what: string, value: unknown): number | undefined {
	if (value === undefined) return undefined;
	return checkCount(what, value);
}

export function checkOneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
	if (!allowed.includes(value as T)) throw new AuditInputError(`${what} must be one of ${allowed.join(', ')}, not ${String(value)}`);
	return value as T;
}

export function optionsJson(options: Record<string, unknown>): string {
	const text = JSON.stringify(options ?? {}, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
	if (text.length > LIMITS.optionsJsonChars) throw new AuditInputError(`dispatch options are larger than ${LIMITS.optionsJsonChars} characters of JSON`);
	return text;
}
