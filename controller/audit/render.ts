// Human-readable output of the audit queries: a table for listings, a
// report for one run, a line for verify.
import type { AuditEntry, HostOutcome, RunView, VerifyResult } from './types.js';

/** UTC, to the second: the same on every controller whatever its time zone. */
export function formatTime(ms: number | undefined): string {
	return ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

const short = (hash: string | undefined) => (hash ? hash.slice(0, 12) : '-');

export function renderTable(header: string[], rows: string[][]): string {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
	const line = (cells: string[]) =>
		cells
			.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
			.join('  ')
			.trimEnd();
	return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function renderEntries(entries: AuditEntry[], truncated: boolean): string {
	if (entries.length === 0) return 'no audit entries match\n';
	const rows = entries.map((e) => [
		formatTime(e.atMs),
		e.kind,
		e.runId ?? '-',
		e.host ?? '-',
		e.who ?? '-',
		short(e.scriptHash),
		e.outcome,
		e.detail ?? '',
	]);
	const table = renderTable(['TIME', 'KIND', 'RUN', 'HOST', 'WHO', 'SCRIPT', 'OUTCOME', 'DETAIL'], rows);
	return truncated ? `${table}(more entries match: narrow the query or raise --limit)\n` : table;
}

function hostRow(h: HostOutcome): string[] {
	const how = h.state === 'ended' ? (h.endedBy ?? 'ended') : h.state === 'refused' ? `refused (${h.refusal})` : h.state;
	const output = h.outputBytes === undefined ? '-' : `${h.outputLines} lines, ${h.outputBytes} bytes, ${h.dropped} dropped`;
	const note = [h.message, h.source === 'agent-journal' ? 'reported by the agent journal' : undefined].filter(Boolean).join('; ');
	return [h.host, h.sessionId ?? '-', formatTime(h.loadedAtMs), formatTime(h.firstOutputAtMs), formatTime(h.unloadedAtMs), how, output, note];
}

export function renderRun(run: RunView): string {
	const lines = [
		`run        ${run.runId}`,
		`state      ${run.state}`,
		`who        ${run.who}`,
		`controller ${run.controller}`,
		`started    ${formatTime(run.startedAtMs)}`,
		`finished   ${formatTime(run.finishedAtMs)}`,
		`module     ${run.moduleHash}`,
		`script     ${run.scriptHash}`,
		`options    ${JSON.stringify(run.options)}`,
		'',
		'hosts:',
	];
	const table = renderTable(['HOST', 'SESSION', 'LOADED', 'FIRST OUTPUT', 'UNLOADED', 'ENDED BY', 'OUTPUT', 'NOTE'], run.hosts.map(hostRow));
	const script = run.scriptText.endsWith('\n') ? run.scriptText : `${run.scriptText}\n`;
	return `${lines.join('\n')}\n${table}\nscript:\n${script}`;
}

export function renderVerify(v: VerifyResult, location: string): string {
	if (v.ok) return `audit log ${location}: ${v.rowsChecked} rows, chain intact; head ${v.headHash}\n`;
	return `audit log ${location}: BROKEN at row ${v.firstBrokenSeq}: ${v.problem} (${v.rowsChecked} rows before it are intact)\n`;
}
