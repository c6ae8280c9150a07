// --since / --until: an ISO 8601 date or time, a Unix time in milliseconds,
// `now`, or an age such as 30m, 2h, 7d (that long before `nowMs`).
import { AuditInputError } from './limits.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimeSpec(option: string, text: string, nowMs = Date.now()): number {
	const t = text.trim();
	if (t === 'now') return nowMs;
	const age = /^(\d+)([smhdw])$/.exec(t);
	if (age) return nowMs - Number(age[1]) * UNIT_MS[age[2]!]!;
	if (/^\d{12,}$/.test(t)) return Number(t);
	if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
		const ms = Date.parse(t);
		if (!Number.isNaN(ms)) return ms;
	}
	throw new AuditInputError(
		`${option} ${JSON.stringify(text)}: expected an ISO date or time (2026-11-27, 2026-11-27T17:00Z), an age (30m, 2h, 7d) or now`,
	);
}
