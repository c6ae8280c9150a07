// Benchmark (not a test): parse SystemTap's whole tapset library with
// tapfleet's pass 1 and with stap 4.8 (`stap -p1`, which parses the whole
// library on every run), side by side in one run, fresh processes both,
// interleaved. Reports median wall and CPU time of each and the ratio.
//
//   node dist/bench/parse-tapsets.js [RUNS]
import { spawnSync } from 'node:child_process';
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

function main(runs: number): void {
	const stapCmd = ['stap', '-p1', '-e', 'probe begin {}'];
	const oursCmd = [process.execPath, self, '--child'];
	const stapEnv = { ...process.env, SYSTEMTAP_NOSIGN: '1' }; // stap refuses hosts in lockdown otherwise
	// The same parse with V8's default settings (controller/parse/engine.ts), for comparison.
	const defaultsEnv = { ...process.env, TAPFLEET_V8_DEFAULTS: '1' };
	const stap: Sample[] = [];
	const ours: Sample[] = [];
	const oursDefaults: Sample[] = [];
	timed(oursCmd, process.env); // warm the file cache for both
	timed(stapCmd, stapEnv);
	for (let i = 0; i < runs; i++) {
		ours.push(timed(oursCmd, process.env));
		stap.push(timed(stapCmd, stapEnv));
		oursDefaults.push(timed(oursCmd, defaultsEnv));
	}
	const row = (name: string, s: Sample[]): string =>
		`${name.padEnd(44)} wall ${median(s.map((x) => x.wall)).toFixed(2)} s   cpu ${median(s.map((x) => x.cpu)).toFixed(2)} s`;
	console.log(`parsing ${DEFAULT_TAPSET_DIR} (median of ${runs} runs, fresh process each)`);
	console.log(row('stap -p1 -e "probe begin {}"', stap));
	console.log(row('tapfleet pass 1 (whole library, -g)', ours));
	console.log(row('  the same, TAPFLEET_V8_DEFAULTS=1', oursDefaults));
	const wallRatio = median(stap.map((x) => x.wall)) / median(ours.map((x) => x.wall));
	const cpuRatio = median(stap.map((x) => x.cpu)) / median(ours.map((x) => x.cpu));
	console.log(`tapfleet is ${wallRatio.toFixed(2)}x stap's speed by wall time, ${cpuRatio.toFixed(2)}x by CPU time`);
}

if (process.argv[2] === '--child') parseWholeLibrary();
else main(Number(process.argv[2] ?? 5));
