#!/usr/bin/env node
// Entry point of the bundled agent (`npm run bundle:agent`): the `agent`
// command alone, with taprun and the API descriptors carried inside.
import { Command, CommanderError } from 'commander';
import { registerAgent } from '../cli/commands/agent.js';
import { VERSION } from '../cli/version.js';
import { installEmbeddedFiles } from './embedded-binaries.js';

installEmbeddedFiles();
const program = new Command()
	.name('tapfleet-agent')
	.description('the tapfleet agent: loads signed probe modules for controllers')
	.version(VERSION, '-V, --version')
	.exitOverride();
registerAgent(program);
try {
	// `tapfleet-agent --listen ...` and `tapfleet-agent agent --listen ...` both work.
	const args = process.argv.slice(2);
	await program.parseAsync(['node', 'tapfleet-agent', ...(args[0] === 'agent' || args[0]?.startsWith('-V') || args[0] === '--version' ? args : ['agent', ...args])]);
} catch (err) {
	if (err instanceof CommanderError) process.exitCode = err.exitCode;
	else {
		process.stderr.write(`tapfleet-agent: ${(err as Error)?.message ?? String(err)}\n`);
		process.exitCode = 70;
	}
}
