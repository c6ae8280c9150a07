// tapfleet's command line as a function of its arguments: each command lives
// in cli/commands/ and registers itself on a program made for this call. The
// process around it (cli/main.ts, or a warm runner serving a run,
// cli/warm/runner.ts) owns stdout's error handling and the exit.
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';

// Each command's module is imported only when that command runs (all of them
// for help or an unknown word): `tapfleet run` does not pay for loading the
// compiler, the audit server or the profile gatherer (~0.1-0.2 s of start-up).
const commands: Record<string, () => Promise<(p: Command) => void>> = {
	compile: async () => (await import('./commands/compile.js')).registerCompile,
	list: async () => (await import('./commands/list.js')).registerList,
	audit: async () => (await import('./commands/audit.js')).registerAudit,
	profile: async () => (await import('./commands/profile.js')).registerProfile,

	agent: async () => (await import('./commands/agent.js')).registerAgent,
	attach: async () => (await import('./commands/attach.js')).registerAttach,
	hosts: async () => (await import('./commands/hosts.js')).registerHosts,
	keys: async () => (await import('./commands/keys.js')).registerKeys,
	ps: async () => (await import('./commands/ps.js')).registerPs,
	run: async () => (await import('./commands/run.js')).registerRun,
	unload: async () => (await import('./commands/unload.js')).registerUnload,
};

/** Runs one command line (argv as process.argv: node, script, words...); its status goes to process.exitCode. */
export async function runCli(argv: string[]): Promise<void> {
	const program = new Command();
	program
		.name('tapfleet')
		.description('SystemTap for a fleet: compile probe scripts once per kernel build, run them on many hosts')
		.version(VERSION, '-V, --version')
		.showHelpAfterError('(run with --help for usage)')
		.exitOverride();
	const named = argv[2];
	// --version needs no command at all; help and unknown words need every one.
	const versionOnly = argv.length === 3 && (named === '-V' || named === '--version');
	const wanted = versionOnly ? [] : named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
	for (const register of await Promise.all(wanted.map((name) => commands[name]!()))) register(program);
	try {
		await program.parseAsync(argv);
	} catch (err) {
		if (err instanceof CommanderError) {
			process.exitCode = err.exitCode;
		} else {
			// An error we did not anticipate: say so plainly, no stack trace.
			process.stderr.write(`tapfleet: internal error: ${(err as Error)?.message ?? String(err)}\n`);
			if (process.env.TAPFLEET_DEBUG) console.error(err);
			process.exitCode = 70;
		}
	}
}
