// Robustness over realistic scripts: the pass-1 corpus, the run corpus and
// SystemTap's examples (where installed) either elaborate or fail with
// located diagnostics; elaboration never throws.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { elaborate, localProfile } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpora = [
	path.join(repoRoot, '../shared/conformance/parse/ok'),
	path.join(repoRoot, '../shared/conformance/run'),
	'/usr/share/systemtap/examples',
];

function scripts(dir: string): string[] {
	try {
		return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.stp')).map((f) => path.join(dir, f));
	} catch {
		return [];
	}
}

test('every corpus script elaborates or fails cleanly; the begin/timer ones elaborate', async (t) => {
	const p = await localProfile();
	const files = corpora.flatMap(scripts);
	t.true(files.length > 50, `${files.length} scripts`);
	let elaborated = 0;
	for (const f of files) {
		const r = elaborate(p, readFileSync(f, 'latin1'), { guru: true, name: f });
		if (r.program) elaborated++;
		else t.regex(r.stderr, /(semantic|parse) error: |Input file|argument/, f);
	}
	t.log(`${elaborated} of ${files.length} scripts elaborate on this kernel`);
	t.true(elaborated >= 60);
});
