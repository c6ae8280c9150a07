// V8 settings for pass 1, applied once before the parser first runs.
//
// Parsing the tapset library is a cold, allocation-heavy run (~420k tokens,
// ~600k tree objects kept). Profiles (docs/parse.md, "Speed") show that much
// of its CPU time is V8's own work rather than the parser's. One part of it:
// allocation-site pretenuring. Once V8 sees that most tree nodes survive, it
// switches their allocation sites to old space and, to do so, throws away the
// optimised code of every parser function that allocates there (twice, in a
// library parse), then compiles them all again. Turning pretenuring off cut
// pass 1's CPU time for the whole library by 10-15% (docs/parse.md); the
// parser's output is unaffected (the flag changes only where V8 allocates).
// (A lower TurboFan inlining budget saved as much again, but less inlining
// means more stack per nesting level: deep nesting tests then run out
// of stack before MAX_NESTING. Not done.)
// The flag is process-wide, so it is set once, when pass 1 first runs, and
// TAPFLEET_V8_DEFAULTS=1 leaves V8 as it is (to compare, or if another
// workload in the same process suffers).
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function tuneEngineForParsing(): void {
	if (applied) return;
	applied = true;
	if (process.env['TAPFLEET_V8_DEFAULTS'] === '1') return;
	setFlagsFromString('--no-allocation-site-pretenuring');
}
