import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tapfleet = fileURLToPath(new URL('../../../bin/tapfleet', import.meta.url));

test('tapfleet --help lists the commands', (t) => {
	const out = execFileSync(tapfleet, ['--help'], { encoding: 'utf8' });
	t.regex(out, /Usage: tapfleet/);
	t.regex(out, /compile/);
});
