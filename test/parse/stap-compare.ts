// Compare tapfleet's pass 1 with the real `stap -p1` on one script: the same
// dump on stdout, the same exit status, the same errors and warnings.
// Usable as a tool: node dist/test/parse/stap-compare.js FILE...
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInProcess, pooled, run, tapfleet } from './helpers.js';

/** stap refuses to work on a host in lockdown unless told that nothing will be loaded. */
const STAP_ENV = { ...process.env, SYSTEMTAP_NOSIGN: '1', LC_ALL: 'C' };

export interface Comparison {
	readonly file: string;
	readonly flags: readonly string[];
	readonly same: boolean;
	readonly detail: string;
}

/** Flags a script needs: -g if it uses embedded C or guru-only operators, or asks for it on its #! line. */
export function flagsFor(file: string): string[] {
	const text = readFileSync(file, 'latin1');
	const first = text.split('\n', 1)[0] ?? '';
	return /%\{|@const|@kregister|@kderef/.test(text) || /^#!.*\s-\w*g/.test(first) ? ['-g'] : [];
}

/**
 * stderr as both tools must agree on it: all errors and warnings, less stap's
 * remarks about this host (missing kernel symbols, Debian's tip).
 */
export function comparableStderr(stderr: string): string {
	return stderr.split('\n').filter((l) => !l.startsWith('WARNING: Kernel function symbol table missing')
		&& !l.startsWith('Tip: ') && !l.startsWith('Pass 1: parse failed')).join('\n');
}

/**
 * Compare on one script, run from its own folder as stap prints the path as
 * given. `inProcess` runs tapfleet's parser here rather than through the CLI.
 */
export async function compareWithStap(file: string, inProcess = false): Promise<Comparison> {
	const cwd = path.dirname(path.resolve(file));
	const name = path.basename(file);
	const flags = flagsFor(file);
	const stapRun = run('stap', ['-p1', ...flags, name], { cwd, env: STAP_ENV });
	let ours: { status: number | null; stdout: string; stderr: string };
	if (inProcess) {
		const r = parseInProcess(cwd, name, flags.includes('-g'));
		ours = { status: r.dump === null ? 1 : 0, stdout: r.dump ?? '', stderr: r.stderr };
	} else {
		ours = await run(tapfleet, ['compile', '-p1', ...flags, name], { cwd });
	}
	const stap = await stapRun;
	const problems: string[] = [];
	if (stap.status !== ours.status) problems.push(`status: stap ${stap.status}, tapfleet ${ours.status}`);
	if (stap.stdout !== ours.stdout) problems.push('dump differs');
	const [stapErr, oursErr] = [comparableStderr(stap.stderr), comparableStderr(ours.stderr)];
	if (stapErr !== oursErr) problems.push(`stderr differs:\n--- stap\n${stapErr}\n--- tapfleet\n${oursErr}`);
	return { file, flags, same: problems.length === 0, detail: problems.join('; ') };
}

export function compareAll(files: readonly string[], inProcess = false, parallel = 4): Promise<Comparison[]> {
	return pooled(files, parallel, (f) => compareWithStap(f, inProcess));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const results = await compareAll(process.argv.slice(2));
	for (const r of results) if (!r.same) console.log(`DIFF ${r.file} ${r.flags.join(' ')}: ${r.detail}`);
	console.log(`${results.filter((r) => r.same).length}/${results.length} identical`);
	process.exitCode = results.every((r) => r.same) ? 0 : 1;
}
