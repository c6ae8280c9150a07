// Progress of a dispatch on a terminal: one line on stderr, rewritten in
// place, counting hosts per stage ("which host is at which pass"), and the
// names while there are few. Silent when stderr is not a terminal, and it
// steps aside (clears its line) as soon as the script's output begins.
import type { HostStage } from './fanout.js';

const ORDER: HostStage[] = ['connecting', 'compiling', 'loading', 'running', 'stopping', 'done', 'failed'];

export class Progress {
	private stages = new Map<string, HostStage>();
	private shown = false;
	private quiet: boolean;

	constructor(private stream: NodeJS.WriteStream = process.stderr, enabled = !!process.stderr.isTTY) {
		this.quiet = !enabled;
	}

	update(host: string, stage: HostStage): void {
		this.stages.set(host, stage);
		if (this.quiet) return;
		const counts = ORDER.map((s) => [s, [...this.stages.values()].filter((v) => v === s).length] as const).filter(([, n]) => n > 0);
		let line = `tapfleet: ${this.stages.size} host(s): ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`;
		if (this.stages.size <= 4) line = `tapfleet: ${[...this.stages.entries()].map(([h, s]) => `${h} ${s}`).join(', ')}`;
		this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 100) - 1)}`);
		this.shown = true;
	}

	/** Clears the line for good: output from the script follows. */
	stop(): void {
		if (this.shown) this.stream.write('\r\x1b[K');
		this.shown = false;
		this.quiet = true;
	}
}
