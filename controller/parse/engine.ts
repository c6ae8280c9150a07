// V8 settings for pass 1, applied once before the parser first runs.
//
// Parsing the tapset library is a cold, allocation-heavy run (~420k tokens,
// ~540k tree objects kept). Profiles (docs/parse.md, "Speed") show that most
// of its CPU time is V8's own work rather than the parser's:
// - allocation-site pretenuring: once V8 sees that most tree nodes survive,
//   it switches their allocation sites to old space and, to do so, throws
//   away the optimised code of every parser function that allocates there
//   (twice, in a library parse), then compiles them all again. Off: 10-15%
//   less CPU.
// - TurboFan inlining: compiling the recursive-descent parser with inlined
//   callees took ~250 ms of CPU on the compiler thread, for code that runs a
//   few hundred milliseconds. A small inlining budget: ~15% less CPU, and the
//   optimised code arrives sooner. Less inlining means more frames per
//   nesting level; the parser keeps few functions per level so that
//   MAX_NESTING fits in the stack with a wide margin either way
//   (test/parse/robustness.test.ts).
// The parser's output is unaffected (these change only how V8 compiles and
// allocates). The flags are process-wide, so they are set once, when pass 1
// first runs, and TAPFLEET_V8_DEFAULTS=1 leaves V8 as it is (to compare, or
// if another workload in the same process suffers).
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function tuneEngineForParsing(): void {
	if (applied) return;
	applied = true;
	if (process.env['TAPFLEET_V8_DEFAULTS'] === '1') return;
	setFlagsFromString('--no-allocation-site-pretenuring');
	setFlagsFromString('--max-inlined-bytecode-size-cumulative=100');
}
