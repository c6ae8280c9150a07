// For bench/audit-cli-run.ts only: no audit log (see run-audit.ts here),
// bundled in place of controller/audit/run-log.ts.
import type { AuditLog } from '../../controller/audit/open.js';

export function openRunAuditLog(): Promise<AuditLog> {
	return new Promise(() => {}); // never opened, never used
}

export function discardRunAuditLog(): Promise<void> {
	return Promise.resolve();
}

export function openRunLog(): Promise<AuditLog> {
	return new Promise(() => {}); // never opened, never used
}
