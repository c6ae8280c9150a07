// Reads ava's TAP on stdin, echoes it, and ends with one plain line
// "tests: N passed, N failed, N skipped". Exit status 1 on any failure, on no
// test at all, or (under CI) on any skipped or todo test.
// Each failure's report (its "not ok" line and the YAML block after it) is
// repeated before that summary line: a long log is often read by its end only.
import { createInterface } from 'node:readline';

let passed = 0;
let failed = 0;
let skipped = 0;
let bailedOut = false;
/** The failures' reports, each cut at MAX_REPORT_LINES. */
const failures = [];
const MAX_REPORT_LINES = 40;
let report = null;
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
	process.stdout.write(line + '\n');
	if (report && /^(not )?ok \d+|^1\.\.\d+$/.test(line)) report = null;
	if (report) {
		if (report.length < MAX_REPORT_LINES) report.push(line);
		if (/^\s*\.\.\.$/.test(line)) report = null;
	}
	if (/^ok \d+/.test(line)) {
		if (/# (SKIP|TODO)/i.test(line)) skipped++;
		else passed++;
	} else if (/^not ok \d+/.test(line)) {
		if (/# TODO/i.test(line)) skipped++;
		else {
			failed++;
			report = [line];
			failures.push(report);
		}
	} else if (/^Bail out!/.test(line)) {
		bailedOut = true;
	}
});
rl.on('close', () => {
	if (failures.length > 0) {
		console.log(`\nthe ${failures.length} failure(s) again:`);
		for (const lines of failures) console.log(lines.join('\n'));
	}
	console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
	const ci = process.env.CI === 'true';
	if (ci && skipped > 0) console.log('CI: skipped tests are failures here: every test must run in CI');
	if (passed + failed === 0) console.log('no test ran');
	process.exitCode = failed > 0 || bailedOut || passed + failed === 0 || (ci && skipped > 0) ? 1 : 0;
});
