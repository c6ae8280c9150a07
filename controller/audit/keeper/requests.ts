// Checks of a keeper request's arguments (run-session.ts). Only processes
// of the same user can reach the socket (its directory is 0700), so this
// guards against a client of another tapfleet version or a bug, not an
// attacker: still, nothing unchecked reaches the log.

export class KeeperRequestError extends Error {}

export function fail(op: string, what: string): never {
	throw new KeeperRequestError(`audit keeper: bad ${op} request: ${what}`);
}

export function count(op: string, args: unknown[], n: number, optional = 0): void {
	if (args.length < n || args.length > n + optional) fail(op, `${args.length} arguments, expected ${optional ? `${n}-${n + optional}` : n}`);
}

export function num(op: string, v: unknown, what: string): number {
	if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${what} is not a number`);
	return v;
}

export function str(op: string, v: unknown, what: string): string {
	if (typeof v !== 'string') fail(op, `${what} is not a string`);
	return v;
}

export function strings(op: string, v: unknown, what: string): string[] {
	if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(op, `${what} is not a list of strings`);
	return v as string[];
}
