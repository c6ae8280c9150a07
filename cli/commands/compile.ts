// `tapfleet compile`: runs passes 1..N (stub until pass 1 lands).
import type { Command } from 'commander';

export function registerCompile(program: Command): void {
	program
		.command('compile')
		.description('run the compiler passes and print the result of the last one (like stap -pN)')
		.action(() => {
			process.stderr.write('tapfleet compile: not implemented yet\n');
			process.exitCode = 1;
		});
}
