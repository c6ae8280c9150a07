// Building an out-of-tree module with kbuild against a kernel tree
// (`make -C TREE M=DIR modules`), as pass 4 of the kmod runtime does.
// Compile errors are the user's business: they are passed on, not swallowed.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelTree } from './locate.js';

export class KbuildError extends Error {
	constructor(
		message: string,
		/** What make and the compiler printed, for showing to the user. */
		readonly output: string,
	) {
		super(message);
		this.name = 'KbuildError';
	}
}

// Notes kbuild prints for every module built against distribution headers,
// which carry no vmlinux to generate the module's BTF from: not the user's concern.
const EXPECTED_NOISE = /^Skipping BTF generation for .* due to unavailability of vmlinux$/;

export interface KbuildResult {
	/** The .ko files built, full paths. */
	modules: string[];
	/** Warnings and other output worth showing (expected noise removed). */
	output: string;
}

/** Runs kbuild in `dir` (which holds the sources and a Kbuild file) against `tree`. */
export function kbuildModules(tree: KernelTree, dir: string, opts: { jobs?: number; timeoutMs?: number } = {}): Promise<KbuildResult> {
	const args = ['-s', '-C', tree.dir, `M=${dir}`, `-j${opts.jobs ?? 2}`, 'modules'];
	return new Promise((resolve, reject) => {
		execFile('make', args, { timeout: opts.timeoutMs ?? 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
			const output = `${stdout}${stderr}`
				.split('\n')
				.filter((l) => l !== '' && !EXPECTED_NOISE.test(l))
				.join('\n');
			if (err) {
				const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? "'make' is not installed" : err.killed ? 'timed out' : `make exited with status ${err.code}`;
				reject(new KbuildError(`kbuild in ${dir} against ${tree.requestedAs} failed (${why})${output ? `:\n${output}` : ''}`, output));
				return;
			}
			const modules = readdirSync(dir)
				.filter((f) => f.endsWith('.ko'))
				.map((f) => join(dir, f));
			resolve({ modules, output: output ? `${output}\n` : '' });
		});
	});
}
