// tapfleet's command line. Each command lives in cli/commands/ and registers
// itself on the program; this file only assembles them.
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerCompile } from './commands/compile.js';
import { registerList } from './commands/list.js';
import { registerProfile } from './commands/profile.js';
import { registerAgent } from './commands/agent.js';
import { registerAttach } from './commands/attach.js';
import { registerHosts } from './commands/hosts.js';
import { registerKeys } from './commands/keys.js';
import { registerPs } from './commands/ps.js';
import { registerRun } from './commands/run.js';
import { registerUnload } from './commands/unload.js';
import { VERSION } from './version.js';

const program = new Command();
program
	.name('tapfleet')
	.description('SystemTap for a fleet: compile probe scripts once per kernel build, run them on many hosts')
	.version(VERSION, '-V, --version')
	.showHelpAfterError('(run with --help for usage)')
	.exitOverride();

registerCompile(program);
registerList(program);
registerAudit(program);
registerProfile(program);

registerAgent(program);
registerAttach(program);
registerHosts(program);
registerKeys(program);
registerPs(program);
registerRun(program);
registerUnload(program);

try {
	await program.parseAsync(process.argv);
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
