// Benchmark (not a test): parse SystemTap's whole tapset library with
// tapfleet's pass 1 and with stap 4.8 (`stap -p1`, which parses the whole
// library on every run), side by side in one run, fresh processes both,
// interleaved. Reports median wall and CPU time of each, the ratio, and the
// load average before and after (figures taken under load are not comparable).
//
//   node dist/bench/parse-tapsets.js [RUNS]
//
// tapfleet's child process starts as bin/tapfleet starts the CLI: from one
// bundled file (scripts/bundle-cli.mjs; the bench bundles its own child with
// esbuild first) and without NODE_EXTRA_CA_CERTS (bin/tapfleet's shell line
// drops it: Node would parse that CA bundle at every start, ~40 ms of CPU
// before any of our code runs). More rows show the same parse from the
// separate dist/ modules, with V8's default settings
// (controller/parse/engine.ts), and, when the environment sets
// NODE_EXTRA_CA_CERTS (a proxy's CA bundle, as on the machines these figures
// come from), with it, as a plain `node` would start.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hostTarget, loadLibraryMacros, newSession, parseLibrary } from '../controller/parse/index.js';
import { DEFAULT_TAPSET_DIR } from '../controller/parse/library.js';

const self = fileURLToPath(import.meta.url);

/** The child: what stap's pass 1a does — library macros, then every tapset file. */
function parseWholeLibrary(): void {
	const session = newSession(hostTarget({ guruMode: true }));
	loadLibraryMacros(session, [DEFAULT_TAPSET_DIR]);
	const files = parseLibrary(session, [DEFAULT_TAPSET_DIR]);
	const errors = session.diags.render();
	if (errors !== '' || files.length === 0) {
		process.stderr.write(errors);
		process.exit(1);
	}
	process.stdout.write(`${files.length}\n`);
}

/** This file and what it imports as one ES module next to it (esbuild is a dev dependency). */
async function bundleSelf(): Promise<string> {
	const outfile = self.replace(/\.js$/, '.bundle.mjs');
	const { build } = await import('esbuild');
	await build({
		entryPoints: [self], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile,
		external: ['esbuild'], logLevel: 'warning',
	});
	return outfile;
}

interface Sample {
	readonly wall: number;
	readonly cpu: number;
}

/** Run a command under /usr/bin/time: wall and user+system CPU seconds. */
function timed(cmd: string[], env: NodeJS.ProcessEnv): Sample {
	const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...cmd], { env, encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
	const last = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
	return { wall: last[0]!, cpu: last[1]! + last[2]! };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Config {
	readonly name: string;
	readonly cmd: string[];
	readonly env: NodeJS.ProcessEnv;
	readonly samples: Sample[];
}

async function main(runs: number): Promise<void> {
	const bundle = await bundleSelf();
	const config = (name: string, cmd: string[], env: NodeJS.ProcessEnv): Config => ({ name, cmd, env, samples: [] });
	const stap = config('stap -p1 -e "probe begin {}"', ['stap', '-p1', '-e', 'probe begin {}'],
		{ ...process.env, SYSTEMTAP_NOSIGN: '1' }); // stap refuses hosts in lockdown otherwise
	// The environment bin/tapfleet gives Node (its `env -u NODE_EXTRA_CA_CERTS`).
	const { NODE_EXTRA_CA_CERTS: _, ...asCli } = process.env;
	const ours = config('tapfleet pass 1 (whole library, -g)', [process.execPath, bundle, '--child'], asCli);
	const configs = [
		stap,
		ours,
		config('  the same, unbundled dist/ modules', [process.execPath, self, '--child'], asCli),
		config('  the same, TAPFLEET_V8_DEFAULTS=1', [process.execPath, bundle, '--child'],
			{ ...asCli, TAPFLEET_V8_DEFAULTS: '1' }),
	];
	const compared = [ours];
	if (process.env['NODE_EXTRA_CA_CERTS'] !== undefined) {
		const withCa = config('  the same, with NODE_EXTRA_CA_CERTS', [process.execPath, bundle, '--child'], process.env);
		configs.push(withCa);
		compared.push(withCa);
	}
	const loadBefore = load();
	for (const c of configs) timed(c.cmd, c.env); // warm the file cache
	for (let i = 0; i < runs; i++) for (const c of configs) c.samples.push(timed(c.cmd, c.env));
	const wall = (c: Config): number => median(c.samples.map((x) => x.wall));
	const cpu = (c: Config): number => median(c.samples.map((x) => x.cpu));
	console.log(`parsing ${DEFAULT_TAPSET_DIR} (median of ${runs} runs, fresh process each, interleaved)`);
	for (const c of configs) console.log(`${c.name.padEnd(44)} wall ${wall(c).toFixed(2)} s   cpu ${cpu(c).toFixed(2)} s`);
	for (const c of compared) {
		console.log(`${c.name.trim()}: ${(wall(stap) / wall(c)).toFixed(2)}x stap's speed by wall time, `
			+ `${(cpu(stap) / cpu(c)).toFixed(2)}x by CPU time`);
	}
	console.log(`load average before: ${loadBefore}; after: ${load()}`);
}

if (process.argv[2] === '--child') parseWholeLibrary();
else await main(Number(process.argv[2] ?? 5));
