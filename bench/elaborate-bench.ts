// Pass-2 benchmarks (not tests; figures go to docs/elaborate.md):
//  - parsing our tapset library for a profile (including the syscall tapset
//    generated from its tracepoints);
//  - -p2 of a script probing syscall.* (one probe per syscall tracepoint,
//    several hundred) that reads argstr, so nothing is elided;
//  - -p2 of a script probing every alias of the library at once;
//  - -p2 of a begin/timer script (the floor).
// The profile is loaded once (cache); each figure is pass 1 + pass 2 in process.
// Usage: node dist/bench/elaborate-bench.js [--profile FILE] [REPEAT]
import { runPass2 } from '../controller/elaborate/index.js';
import { parseTapsets } from '../controller/elaborate/library.js';
import { pointString } from '../controller/elaborate/primitives.js';
import { compileProfile } from '../controller/elaborate/target-profile.js';
import { newSession, runPass1 } from '../controller/parse/index.js';
import { profileToPreprocessorTarget } from '../controller/profile/preprocessor-target.js';

const args = process.argv.slice(2);
const profileAt = args.indexOf('--profile');
const profilePath = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined;
const repeat = Number(args[0] ?? 10);

const profile = await compileProfile(profilePath);
const target = profileToPreprocessorTarget(profile);

function time(label: string, fn: () => unknown): void {
	fn(); // warm-up (JIT, regexp caches)
	const xs: number[] = [];
	let last: unknown;
	for (let i = 0; i < repeat; i++) {
		const t0 = process.hrtime.bigint();
		last = fn();
		xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	xs.sort((a, b) => a - b);
	const med = xs[Math.floor(xs.length / 2)]!;
	console.log(`${label.padEnd(52)} median ${med.toFixed(1).padStart(7)} ms   min ${xs[0]!.toFixed(1).padStart(7)} ms   ${String(last)}`);
}

function pass2(script: string): string {
	const p1 = runPass1({ target, scripts: [{ name: '<bench>', text: script }] });
	if (!p1.files) throw new Error(p1.session.diags.render());
	const { program } = runPass2({ profile, session: p1.session, userFiles: p1.files });
	if (!program) throw new Error(p1.session.diags.render());
	return `${program.probes.length} probes, ${program.functions.length} functions`;
}

const library = parseTapsets(newSession(target), profile);
const aliasNames = [...new Set(library.flatMap((f) => f.aliases.flatMap((a) => a.aliasNames.map(pointString))))];
console.log(`profile ${profile.release} (${profile.tracepoints.length} tracepoints); library: ${library.length} files, ${aliasNames.length} alias names; ${repeat} runs each`);

time('parse the tapset library (incl. generated syscalls)', () => {
	const files = parseTapsets(newSession(target), profile);
	return `${files.reduce((n, f) => n + f.aliases.length, 0)} aliases`;
});
time('-p2 probe begin/timer (floor)', () => pass2('global n probe begin { n = 1 } probe timer.ms(10) { n++; if (n > 5) exit() }'));
time('-p2 probe syscall.* reading argstr', () => pass2('global c probe syscall.* { c[name, argstr] <<< 1 }'));
time('-p2 probe syscall.*, syscall.*.return', () => pass2('global c probe syscall.*, syscall.*.return { c[name] <<< 1 }'));
time('-p2 every alias of the library (?)', () => pass2(`global c probe ${aliasNames.map((n) => n + '?').join(', ')} { c[pp()] <<< 1 }`));
