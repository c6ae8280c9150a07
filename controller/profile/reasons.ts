// Turning a failure into the short reason a profile records (never a crash).

/** "EACCES: permission denied, open '/proc/kallsyms'" for fs errors; the message otherwise. */
export function reasonOf(err: unknown): string {
	if (err instanceof Error) return err.message;
	return String(err);
}
