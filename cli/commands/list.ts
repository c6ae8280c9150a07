// `tapfleet list [-L] PATTERN`: the target kernel's probe points matching a
// pattern, like `stap -l` / `stap -L`, resolved against this host's kernel
// profile or a saved one (--profile FILE).
import type { Command } from 'commander';
import { listProbes } from '../../controller/elaborate/list.js';
import { runtimeLine } from '../../controller/build/runtime-choice.js';
import { runtimeChoice, targetProfile } from './compile-runtime.js';

interface ListOptions {
	L?: boolean;
	l?: boolean;
	profile?: string;
	runtime?: string;
	r?: string;
	kernelTree?: string;
}

export function registerList(program: Command): void {
	program
		.command('list')
		.description('list the probe points matching PATTERN (like stap -l; -L adds their variables)')
		.usage('[-L] [--profile FILE] PATTERN...')
		.option('-l', 'list matching probe points (the default)')
		.option('-L', 'also list the variables each probe point offers ($target:C type, alias locals name:type)')
		.option('--profile <file>', 'resolve against a saved kernel profile (default: this host)')
		.option('-r <release>', "resolve against the kernel of /lib/modules/RELEASE/build (its image's build-id)")
		.option('--kernel-tree <dir>', 'resolve against the kernel of this tree')
		.option('--runtime <mode>', 'also say which runtime (auto, bpf, kmod) the target gets and why')
		.argument('<patterns...>', "probe point patterns, e.g. 'syscall.*' 'kernel.trace(\"sched:*\")'")
		.action(async (patterns: string[], opts: ListOptions) => {
			let profile;
			try {
				profile = await targetProfile(opts);
				if (opts.runtime) process.stderr.write(runtimeLine(await runtimeChoice(opts, profile)));
			} catch (e) {
				process.stderr.write(`tapfleet list: ${(e as Error).message}\n`);
				process.exitCode = 1;
				return;
			}
			let ok = true;
			for (const pattern of patterns) {
				const r = listProbes(Buffer.from(pattern, 'utf8').toString('latin1'), profile, !!opts.L);
				process.stdout.write(Buffer.from(r.stdout, 'latin1'));
				process.stderr.write(Buffer.from(r.stderr, 'latin1'));
				ok &&= r.ok;
			}
			process.exitCode = ok ? 0 : 1;
		});
}
