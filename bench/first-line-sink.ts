// The output sink the in-process dispatch benches give a run: it keeps no
// output, only notes when the first output record arrives, and passes the
// agents' notes on to stderr.
import type { OutputSink } from '../controller/dispatch/output-sink.js';

export function firstLineSink(onFirstLine: () => void): OutputSink {
	let seen = false;
	return {
		record: (_h, _s, r) => {
			if (r.text && !seen) {
				seen = true;
				onFirstLine();
			}
			return true;
		},
		note: (h, text) => process.stderr.write(`${h}: ${text}\n`),
		onDrain: () => {},
	};
}
