// `tapfleet run SCRIPT` on this host: the module runs in a taprun child
// whose stdout is ours byte for byte and whose stderr carries stap's
// ERROR/WARNING lines. With -c CMD the command starts once every probe is
// attached (taprun -j says "started"), and the session stops when it exits,
// as with stap -c.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { taprunPath } from '../../controller/build/toolchain.js';

export interface LocalRunOptions {
	/** -T: stop after this many seconds (0: no limit). */
	timeLimit: number;
	/** -o FILE */
	output?: string;
	/** -c CMD: run through /bin/sh while tracing; stop when it exits. */
	command?: string;
	/** Script arguments. */
	args: string[];
	taprun?: string;
}

/** taprun's -j stderr line as stap's text. */
function stapText(line: string): string | null {
	let ev: { type?: string; message?: string; location?: string };
	try {
		ev = JSON.parse(line);
	} catch {
		return line; // libbpf or loader text: pass it on
	}
	if (ev.type === 'error') return `ERROR: ${ev.message}${ev.location ? ` near ${ev.location}` : ''}`;
	if (ev.type === 'warning') return `WARNING: ${ev.message}`;
	return null;
}

export function runModuleLocally(moduleDir: string, o: LocalRunOptions): Promise<number> {
	const argv: string[] = [];
	if (o.timeLimit > 0) argv.push('-T', String(o.timeLimit));
	if (o.output) argv.push('-o', o.output);
	if (o.command !== undefined) argv.push('-j');
	argv.push(moduleDir, ...o.args);
	const child = spawn(o.taprun ?? taprunPath, argv, { stdio: ['ignore', 'inherit', o.command !== undefined ? 'pipe' : 'inherit'] });
	let cmd: ReturnType<typeof spawn> | undefined;
	let stopping = false;
	const stop = () => {
		if (!stopping && child.exitCode === null) child.kill('SIGINT');
		stopping = true;
	};
	if (o.command !== undefined && child.stderr) {
		createInterface({ input: child.stderr }).on('line', (line) => {
			if (line.includes('"type":"started"') && !cmd) {
				cmd = spawn('/bin/sh', ['-c', o.command!], { stdio: ['inherit', 'inherit', 'inherit'] });
				cmd.on('exit', stop);
				cmd.on('error', (e) => {
					process.stderr.write(`tapfleet run: -c: ${e.message}\n`);
					stop();
				});
				return;
			}
			const text = stapText(line);
			if (text !== null) process.stderr.write(text + '\n');
		});
	}
	// taprun handles the signals (end probes run); we only pass them on
	const forward = (sig: NodeJS.Signals) => () => {
		if (child.exitCode === null) child.kill(sig);
	};
	const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
	for (const [s, h] of handlers) process.on(s, h);
	return new Promise((resolve) => {
		child.on('error', (e) => {
			process.stderr.write(`tapfleet run: cannot start taprun (${o.taprun ?? taprunPath}): ${e.message}; build it with \`make -C runtime-c\`\n`);
			resolve(1);
		});
		child.on('close', (code, signal) => {
			for (const [s, h] of handlers) process.off(s, h);
			if (cmd && cmd.exitCode === null) cmd.kill('SIGTERM');
			resolve(code ?? (signal ? 1 : 0));
		});
	});
}
