// -c CMD as stap starts it: the process is created before the module loads,
// so that its pid is target() from the first begin probe on, but it waits on
// a pipe (fd 3) until release() says every probe is attached. If it is never
// released (taprun failed), the pipe closes with its holder, the read fails
// and the command never runs. `exec` keeps the pid: a simple command (words
// without quotes or shell syntax, as stap's wordexp path takes it) becomes
// the program itself, so target() is its pid; any other command runs under
// /bin/sh -c, and target() is that shell's pid.
//
// The command is this process's child, with its terminal, except in a warm
// runner (cli/warm/), which has no terminal to give it: there the client
// that asked for the run starts it (spawnCommandsWith).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/** A gated command, wherever it runs. */
export interface GatedCommand {
	/** Its pid once it exists (rejects when it cannot be started). */
	readonly started: Promise<number>;
	/** Lets it run: every probe is attached. */
	release(): void;
	/** True until it has exited. */
	running(): boolean;
	onExit(f: (code: number | null, signal: string | null) => void): void;
}

/** What starts the gated command's process: /bin/sh with these words, fd 3 the gate. */
export type CommandSpawner = (argv: string[]) => GatedCommand;

let spawner: CommandSpawner | undefined;

/** Commands of the runs from now on are started by `s` (undefined: as this process's children again). */
export function spawnCommandsWith(s: CommandSpawner | undefined): void {
	spawner = s;
}

/** The words of a command that needs no shell (no quotes, variables, operators, globs), else null. */
export function simpleCommandWords(command: string): string[] | null {
	const words = command.trim().split(/[ \t]+/);
	return words[0] && words.every((w) => /^[\w@%+=:,.\/-]+$/.test(w)) && !words[0].includes('=') ? words : null;
}

export function spawnGatedCommand(command: string): GatedCommand {
	const words = simpleCommandWords(command);
	const gate = words ? 'read -r _ <&3 && exec 3<&- "$@"' : 'read -r _ <&3 && exec 3<&- /bin/sh -c "$1"';
	const argv = ['/bin/sh', '-c', gate, 'sh', ...(words ?? [command])];
	return (spawner ?? spawnChild)(argv);
}

/** The command as this process's child, with its terminal. */
function spawnChild(argv: string[]): GatedCommand {
	const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
	const started = new Promise<number>((resolve, reject) => {
		if (child.pid !== undefined) resolve(child.pid);
		child.once('error', reject);
	});
	started.catch(() => {});
	return {
		started,
		release() {
			const gate = child.stdio[3] as Writable | null;
			gate?.on('error', () => {}); // the command is gone already: its exit is reported
			gate?.end('go\n');
		},
		running: () => child.exitCode === null && child.signalCode === null,
		onExit: (f) => child.on('exit', f),
	};
}
