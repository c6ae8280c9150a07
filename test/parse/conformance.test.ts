// The shared conformance corpus: every ok case gives stap 4.8's -p1 dump byte
// for byte; every ko case is rejected, with a located error and exit status 1.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { conformanceDir, isLocated, parseInProcess, pooled, run, tapfleet, wantsGuru } from './helpers.js';

const okDir = path.join(conformanceDir, 'ok');
const koDir = path.join(conformanceDir, 'ko');
const scripts = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.stp')).sort();

test('conformance corpus is present', (t) => {
	t.true(scripts(okDir).length > 0, `no ok cases in ${okDir}`);
	t.true(scripts(koDir).length > 0, `no ko cases in ${koDir}`);
});

test('every ok case: dump identical to stap -p1 (in-process)', (t) => {
	const failures: string[] = [];
	for (const name of scripts(okDir)) {
		const expected = readFileSync(path.join(okDir, name.replace(/\.stp$/, '.p1')), 'latin1');
		const { dump, stderr } = parseInProcess(okDir, name, wantsGuru(path.join(okDir, name)));
		if (dump !== expected) failures.push(`${name}: ${dump === null ? stderr.split('\n')[0] : 'dump differs'}`);
	}
	t.deepEqual(failures, []);
});

test('every ok case through the CLI: exit 0 and the same bytes', async (t) => {
	const failures = (await pooled(scripts(okDir), 4, async (name) => {
		const args = ['compile', '-p1', ...(wantsGuru(path.join(okDir, name)) ? ['-g'] : []), name];
		const r = await run(tapfleet, args, { cwd: okDir });
		const expected = readFileSync(path.join(okDir, name.replace(/\.stp$/, '.p1')), 'latin1');
		return r.status === 0 && r.stdout === expected ? null : `${name}: status ${r.status}`;
	})).filter((f) => f !== null);
	t.deepEqual(failures, []);
});

test('every ko case through the CLI: rejected with a located parse error and exit 1', async (t) => {
	const failures = (await pooled(scripts(koDir), 4, async (name) => {
		const args = ['compile', '-p1', ...(wantsGuru(path.join(koDir, name)) ? ['-g'] : []), name];
		const r = await run(tapfleet, args, { cwd: koDir });
		if (r.status !== 1) return `${name}: status ${r.status}`;
		if (r.stdout !== '') return `${name}: printed a dump`;
		if (!isLocated(r.stderr, name)) return `${name}: error not located: ${r.stderr.split('\n')[0]}`;
		if (/\n\s+at .*\.js:\d+/.test(r.stderr)) return `${name}: stack trace`;
		return null;
	})).filter((f) => f !== null);
	t.deepEqual(failures, []);
});
