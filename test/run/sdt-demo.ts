// Builds test/fixtures/sdt's program (SDT markers from Debian's sys/sdt.h,
// systemtap-sdt-dev) with gcc into `dir`, once per directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../parse/helpers.js';

const sources = ['sdt-demo.c', 'sdt-plain.c'].map((f) => join(repoRoot, 'test', 'fixtures', 'sdt', f));

/** The path of sdt-demo built in `dir` (made if missing). */
export function buildSdtDemo(dir: string): string {
	const out = join(dir, 'sdt-demo');
	if (existsSync(out)) return out;
	mkdirSync(dir, { recursive: true });
	execFileSync('gcc', ['-O0', '-Wall', '-Werror', '-o', out, ...sources]);
	return out;
}

/** The marker script both runtimes' tests run: one process's first two ticks and plain markers, then exit. */
export function sdtDemoScript(demo: string): string {
	return `global seen
probe process("${demo}").mark("tick") {
	if ($arg1 == 0) seen[pid()] = 1
	if (seen[pid()]) printf("%s %s %d %d %s %d\\n", $$provider, $$name, $arg1, $arg2, user_string($arg3), $arg4)
}
probe process("${demo}").provider("tapfleet_demo").mark("plain") {
	if (seen[pid()]) {
		printf("%s %d %d [%s]\\n", pp(), $arg1, $arg2, $$parms)
		if ($arg1 == 100) exit()
	}
}`;
}

/** What sdtDemoScript prints for the program at `demo`. */
export function sdtDemoExpected(demo: string): string {
	const plain = `process("${demo}").provider("tapfleet_demo").mark("plain")`;
	return `tapfleet_demo tick 0 -1 tick -3\n${plain} 0 7 [arg1=0x0 arg2=0x7]\ntapfleet_demo tick 1 -2 tick -2\n${plain} 100 7 [arg1=0x64 arg2=0x7]\n`;
}
