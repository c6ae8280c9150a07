#!/usr/bin/env node
// How many of SystemTap's example scripts (/usr/share/systemtap/examples)
// pass 3 takes, each with the arguments and -g/-D/-I its .meta file's
// test_check line gives stap. Not a test: a measure of the language and
// tapsets against real scripts, and the list of what stops the others.
//
//   node scripts/examples-scan.mjs [-- COMPILE OPTIONS...]
//   node scripts/examples-scan.mjs -- --runtime kmod --profile VM.json.gz
//
// Prints the count, then each failing script's first error line.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = '/usr/share/systemtap/examples';
const extra = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];

function scripts(dir) {
	return readdirSync(dir).sort().flatMap((n) => {
		const p = join(dir, n);
		return statSync(p).isDirectory() ? scripts(p) : n.endsWith('.stp') ? [p] : [];
	});
}

/** Split a test_check line as a shell would (quotes only). */
function words(line) {
	return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** tapfleet compile options and script arguments from the script's .meta test_check line. */
function metaArgs(stp) {
	const meta = stp.replace(/\.stp$/, '.meta');
	if (!existsSync(meta)) return { opts: [], args: [] };
	const line = readFileSync(meta, 'utf8').split('\n').find((l) => l.startsWith('test_check:'));
	if (!line) return { opts: [], args: [] };
	const opts = [];
	const args = [];
	const w = words(line.slice('test_check:'.length)).slice(1);
	for (let i = 0; i < w.length; i++) {
		const t = w[i];
		if (['-gp4', '-gp1', '-g'].includes(t)) opts.push('-g');
		else if (t === '-D') opts.push('-D', w[++i]);
		else if (t.startsWith('-I')) opts.push('-I', join(dirname(stp), t.slice(2)));
		else if (['-c', '-x', '-o', '-d'].includes(t)) i++;
		else if (t.startsWith('-') || t.endsWith('.stp')) continue;
		else args.push(t === '$$' ? String(process.pid) : t); // the shell's pid, as the testsuite's shell gives it
	}
	return { opts, args };
}

function compile(stp) {
	const { opts, args } = metaArgs(stp);
	return new Promise((resolve) => {
		const child = spawn(join(root, 'bin/tapfleet'), ['compile', '-p3', ...extra, ...opts, stp, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
		let err = '';
		child.stderr.on('data', (d) => (err += d));
		child.on('close', (status) => resolve({ stp, status, err }));
	});
}

const all = scripts(examples);
const results = [];
for (let i = 0; i < all.length; i += 3) results.push(...(await Promise.all(all.slice(i, i + 3).map(compile))));
const failed = results.filter((r) => r.status !== 0);
console.log(`${results.length - failed.length} / ${results.length} examples pass pass 3`);
for (const r of failed) console.log(`${r.stp.slice(examples.length + 1)}: ${r.err.split('\n').find((l) => l.trim()) ?? ''}`);
