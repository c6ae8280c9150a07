// Robustness over realistic scripts: the pass-1 corpus, the run corpus and
// SystemTap's examples (where installed) either elaborate or fail with
// located diagnostics; elaboration never throws. One test per script, the
// tapset library parsed once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { StapFile } from '../../controller/parse/ast.js';
import { elaborate, localProfile, parsedTapsets } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpora = [
	path.join(repoRoot, '../shared/conformance/parse/ok'),
	path.join(repoRoot, '../shared/conformance/run'),
	'/usr/share/systemtap/examples',
];

function scripts(dir: string): string[] {
	try {
		return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.stp')).map((f) => path.join(dir, f)).sort();
	} catch {
		return [];
	}
}

let tapsets: Promise<StapFile[]> | null = null;
const library = (): Promise<StapFile[]> => (tapsets ??= localProfile().then(parsedTapsets));

const files = corpora.flatMap(scripts);
let elaborated = 0;

test('the corpora are there', (t) => {
	t.true(files.length > 50, `${files.length} scripts`);
});

for (const f of files) {
	test(`elaborates or fails cleanly: ${path.relative(path.join(repoRoot, '..'), f)}`, async (t) => {
		const p = await localProfile();
		const r = elaborate(p, readFileSync(f, 'latin1'), { guru: true, name: f, tapsets: await library() });
		if (r.program) {
			elaborated++;
			t.true(r.program.probes.length > 0);
		} else {
			t.regex(r.stderr, /(semantic|parse) error: |Input file|argument/);
		}
	});
}

test.after('how many elaborate', (t) => {
	t.log(`${elaborated} of ${files.length} scripts elaborate on this kernel`);
});
