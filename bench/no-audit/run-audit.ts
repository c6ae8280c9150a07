// For bench/audit-cli-run.ts only: `tapfleet run` with no audit at all,
// bundled in place of controller/dispatch/run-audit.ts, so that the
// benchmark can measure what the audit costs a run as the user meets it.
// Never part of the product's bundle.
import { randomBytes } from 'node:crypto';
import type { ModuleSource, RunAudit } from '../../controller/dispatch/run-audit.js';

/** A class's public members: the stand-in must have every one RunAudit has (tsc says which is missing). */
type Public<T> = { [K in keyof T]: T[K] };

class NoAudit implements Public<RunAudit> {
	readonly runId = randomBytes(6).toString('hex');
	readonly opened = Promise.resolve();
	moduleSource(source: ModuleSource): ModuleSource {
		return source;
	}
	hostReached(): void {}
	hostLoadError(): void {}
	hostLoaded(): void {}
	hostOutput(): void {}
	hostFollowed(): void {}
	hostFailed(): void {}
	writeAheadFor(): void {}
	userInterrupted(): void {}
	finish(): Promise<void> {
		return Promise.resolve();
	}
}

// The product's signature, so that run.ts type-checks against either.
export function openRunAudit(): Promise<RunAudit> {
	return Promise.resolve(new NoAudit() as unknown as RunAudit);
}
