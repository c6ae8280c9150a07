// Which logs runs reach through an audit keeper (place.ts). A module of its
// own so that a benchmark can bundle the CLI with another choice
// (bench/audit-cli-run.ts).
import type { AuditDbTarget } from '../location.js';

/**
 * A PostgreSQL log costs each run a new server process, a login and cold
 * caches (docs/audit.md, "The audit keeper"); a SQLite file opens in a few
 * milliseconds, and a keeper adds a process hop to each of its commits.
 */
export const KEEPER_KINDS: ReadonlySet<AuditDbTarget['kind']> = new Set(['postgres']);
