// The real-world yardstick: SystemTap's shipped example scripts (package
// systemtap-doc) give exactly the dump, exit status and error messages of the
// real `stap -p1`, run live on this machine. One test per example folder.
import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compareAll } from './stap-compare.js';

const EXAMPLE_ROOTS = ['/usr/share/systemtap/examples', '/usr/share/doc/systemtap/examples'];

function stpFiles(dir: string): string[] {
	const out: string[] = [];
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, e.name);
		if (e.isDirectory()) out.push(...stpFiles(full));
		else if (e.name.endsWith('.stp')) out.push(full);
	}
	return out.sort();
}

/** Example scripts grouped by top-level folder. */
const groups = new Map<string, string[]>();
for (const root of EXAMPLE_ROOTS.filter((r) => existsSync(r))) {
	for (const file of stpFiles(root)) {
		const key = path.relative(root, file).split(path.sep)[0]!;
		const group = `${path.basename(path.dirname(root)) === 'doc' ? 'doc/' : ''}${key.endsWith('.stp') ? '.' : key}`;
		groups.set(group, [...(groups.get(group) ?? []), file]);
	}
}

test('the example scripts are installed (systemtap-doc)', (t) => {
	t.true([...groups.values()].flat().length > 100, `examples not found under ${EXAMPLE_ROOTS.join(' or ')}`);
});

for (const [group, files] of groups) {
	test(`examples/${group}: same as stap -p1 (${files.length} scripts)`, async (t) => {
		t.timeout(5 * 60_000);
		const results = await compareAll(files, true, 3);
		t.deepEqual(results.filter((r) => !r.same).map((r) => `${r.file}: ${r.detail}`), []);
	});
}
