// Shared helpers for the pass-1 tests: where things are, and how to run pass 1
// on a file the way `stap -p1` would.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpParseTree, hostTarget, runPass1 } from '../../controller/parse/index.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const tapfleet = path.join(repoRoot, 'bin/tapfleet');
/** The shared corpora live next to the repository, never inside it. */
export const conformanceDir = path.join(repoRoot, '../shared/conformance/parse');

/** Does the script's first line (`#! stap -gp1`) ask for guru mode? */
export function wantsGuru(file: string): boolean {
	const first = readFileSync(file, 'latin1').split('\n', 1)[0] ?? '';
	return /^#!.*\s-\w*g/.test(first);
}

/** Pass 1 in-process, with the file name as given (relative to `cwd`). */
export function parseInProcess(cwd: string, name: string, guru: boolean): { dump: string | null; stderr: string } {
	const text = readFileSync(path.join(cwd, name), 'latin1');
	const r = runPass1({ target: hostTarget({ guruMode: guru }), scripts: [{ name, text }] });
	return { dump: r.files ? dumpParseTree(r.files) : null, stderr: r.session.diags.render() + r.session.diags.suppressionNote() };
}

export interface RunResult {
	readonly status: number | null;
	/** The signal that ended it, when one did (status is null then). */
	readonly signal: NodeJS.Signals | null;
	readonly stdout: string;
	readonly stderr: string;
}

/** Run a command, collecting its output as bytes-as-latin1. */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on('data', (d: Buffer) => out.push(d));
		child.stderr.on('data', (d: Buffer) => err.push(d));
		child.on('error', reject);
		child.on('close', (status, signal) => resolve({
			status, signal, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'),
		}));
	});
}

/** Run `jobs` with at most `limit` at a time. */
export async function pooled<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const worker = async (): Promise<void> => {
		while (next < items.length) {
			const i = next++;
			results[i] = await job(items[i]!);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}

/** A parse error is located: it names file:line:col, or the file's end ("saw: FILE EOF", as stap says). */
export function isLocated(stderr: string, name: string): boolean {
	const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`${esc}:\\d+:\\d+|saw: ${esc} EOF|Input file '${esc}' is empty`).test(stderr);
}
