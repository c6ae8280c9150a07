// For bench/audit-cli-run.ts only: a CLI whose SQLite logs too are reached
// through an audit keeper, bundled in place of controller/audit/keeper/kinds.ts.
import type { AuditDbTarget } from '../../controller/audit/location.js';

export const KEEPER_KINDS: ReadonlySet<AuditDbTarget['kind']> = new Set(['postgres', 'sqlite']);
