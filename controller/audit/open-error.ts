// The audit log cannot be opened (a module of its own: a run's log through
// the keeper must not load open.ts to say so).
export class AuditOpenError extends Error {}
